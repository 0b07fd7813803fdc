import type { AdmissionClaims } from '@waitroom/gate';
import {
  admissionToken,
  waitroomKey,
  type WaitroomKey,
} from '@waitroom/gate/testing/admission-token-fixtures';
import type { Environment } from '../config/environment';
import type { EventSnapshot, EventSnapshots } from '../live/event-snapshots';
import type { AdmissionTokenService } from '../tokens/admission-token.service';
import { GateService, isRevoked, waitingPageLocation } from './gate.service';

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

describe('the gate service answering from memory (answerNow)', () => {
  const member = 'AAAAAAAAAAAAAAAAAAAAAA';
  let key: WaitroomKey;
  let pass: string;
  const ended = new Map<string, number>();
  const snapshot = {
    progress: { createdAtMs: Date.now() - 60_000 },
    ended: { members: ended, cursorMs: 0, readStartedAt: 0, lastTrimmedAt: 0 },
  } as unknown as EventSnapshot;
  let gate: GateService;

  beforeAll(async () => {
    key = await waitroomKey();
    pass = await admissionToken(key, { sub: `ev-1~${member}` });
  });
  beforeEach(() => {
    ended.clear();
    gate = new GateService(
      { forGateNow: () => snapshot } as unknown as EventSnapshots,
      { publicKeySet: () => ({ keys: [key.jwk] }) } as unknown as AdmissionTokenService,
      { ADMISSION_TOKEN_ISSUER: 'waitroom' } as Environment,
    );
  });

  const headers = (extra: Record<string, string> = {}) => ({
    cookie: `theme=dark; waitroom_pass=${pass}`,
    'x-original-url': 'https://shop.example.com/basket',
    ...extra,
  });

  it('verifies a pass the first time, then answers at once while it holds', async () => {
    const first = gate.answerNow('ev-1', headers());
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toEqual({ pass: true, setCookie: null });
    expect(gate.answerNow('ev-1', headers())).toEqual({ pass: true, setCookie: null });
    // Its checkout ended: the remembered signature no longer lets it through.
    ended.set(member, 1);
    expect(gate.answerNow('ev-1', headers())).toBeInstanceOf(Promise);
    expect(await gate.answerNow('ev-1', headers())).toMatchObject({ pass: false });
  });

  it('takes the full check whenever the original URL may carry a token', async () => {
    await gate.answerNow('ev-1', headers());
    for (const url of [
      'https://shop.example.com/?waitroom_token=x',
      'https://shop.example.com/?waitroom%5Ftoken=x',
    ])
      expect(gate.answerNow('ev-1', headers({ 'x-original-url': url }))).toBeInstanceOf(Promise);
    expect(
      gate.answerNow('ev-1', {
        ...headers(),
        'x-original-url': undefined,
        'x-original-uri': '/?waitroom_token=x',
      }),
    ).toBeInstanceOf(Promise);
  });

  it('never answers from memory for another event or an unknown pass', async () => {
    await gate.answerNow('ev-1', headers());
    expect(gate.answerNow('ev-2', headers())).toBeInstanceOf(Promise);
    expect(gate.answerNow('ev-1', headers({ cookie: 'waitroom_pass=forged.token.here' }))).toBeInstanceOf(
      Promise,
    );
    expect(
      await gate.answerNow('ev-1', headers({ cookie: 'waitroom_pass=forged.token.here' })),
    ).toMatchObject({
      pass: false,
    });
  });
});
