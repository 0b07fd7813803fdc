import type { SessionRecord } from './session';
import { queuedSessionTemplate, renderQueuedSession, sessionView } from './views';

describe('the queued-session body of the poll fast lane', () => {
  const base: SessionRecord = {
    sessionId: 'tour:2025.paris-1~AAAAAAAAAAAAAAAAAAAAAA~cGF5bG9hZA.AAAAAAAAAAAAAAAA',
    eventId: 'tour:2025.paris-1',
    userId: 'fan-1',
    priority: 0,
    status: 'queued',
    joinedAtMs: 1795780000123,
    admittedAtMs: null,
    expiresAtMs: null,
    position: 17,
    queueLength: 250,
    admissionRatePerSecond: 3.3,
    eventState: 'open',
    opensAtMs: null,
  };

  it.each<[string, Partial<SessionRecord>]>([
    ['moving, with a rate', {}],
    ['rate unknown', { admissionRatePerSecond: null }],
    ['paused', { eventState: 'paused' }],
    ['not yet open', { opensAtMs: Date.now() + 60_000 }],
    ['a user id JSON must escape', { userId: 'é"\\\n\u2028🎟', priority: 9 }],
  ])('is byte for byte the JSON of the view: %s', (_label, change) => {
    const record = { ...base, ...change };
    expect(renderQueuedSession(queuedSessionTemplate(record), record)).toBe(
      JSON.stringify(sessionView(record, null)),
    );
  });
});
