import type { AdmissionClaims } from '@waitroom/gate';
import type { EventSnapshot } from '../live/event-snapshots';
import { isRevoked, waitingPageLocation } from './gate.service';

describe('the gate service', () => {
  const member = 'AAAAAAAAAAAAAAAAAAAAAA';
  const claims = (sessionId: string, issuedAtMs = 10_000_000): AdmissionClaims => ({
    sessionId,
    eventId: 'ev',
    userId: 'u',
    issuer: 'waitroom',
    issuedAt: new Date(issuedAtMs),
    expiresAt: new Date(issuedAtMs + 600_000),
  });
  const snapshot = (ended: string[], createdAtMs = 9_000_000) =>
    ({
      progress: { createdAtMs },
      ended: { members: new Map(ended.map((m) => [m, 1])), cursorMs: 0, readStartedAt: 0, lastTrimmedAt: 0 },
    }) as unknown as EventSnapshot;

  it('revokes a pass whose checkout ended, of another event, of an earlier event of the same id', () => {
    expect(isRevoked(claims(`ev~${member}`), 'ev', snapshot([]))).toBe(false);
    expect(isRevoked(claims(`ev~${member}~ticket-is-not-checked-here`), 'ev', snapshot([]))).toBe(true);
    expect(isRevoked(claims(`ev~${member}`), 'ev', snapshot([member]))).toBe(true);
    expect(isRevoked(claims(`other~${member}`), 'ev', snapshot([]))).toBe(true);
    expect(isRevoked(claims('garbage'), 'ev', snapshot([]))).toBe(true);
    // iat is whole seconds: an admission in the event's first second is still its own.
    expect(isRevoked(claims(`ev~${member}`, 9_000_000), 'ev', snapshot([], 9_000_999))).toBe(false);
    expect(isRevoked(claims(`ev~${member}`, 8_000_000), 'ev', snapshot([], 9_000_999))).toBe(true);
  });

  it('sends to the waiting page with return_to, percent-encoded', () => {
    expect(waitingPageLocation('ev:1', new URL('https://shop.example.com/a?b=1&c=2'))).toBe(
      '/waitroom/ev%3A1?return_to=https%3A%2F%2Fshop.example.com%2Fa%3Fb%3D1%26c%3D2',
    );
    expect(waitingPageLocation('ev', null)).toBe('/waitroom/ev');
  });
});
