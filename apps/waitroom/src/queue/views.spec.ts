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
    leftReason: null,
    eventMessage: null,
    score: null,
  };

  it.each<[string, Partial<SessionRecord>]>([
    ['moving, with a rate', {}],
    ['rate unknown', { admissionRatePerSecond: null }],
    ['paused', { eventState: 'paused' }],
    ['not yet open', { opensAtMs: Date.now() + 60_000 }],
    ['a user id JSON must escape', { userId: 'é"\\\n\u2028🎟', priority: 9 }],
    ['with a message', { eventMessage: 'Doors open at 8 pm.' }],
    ['a message JSON must escape', { eventMessage: '<b>"sold"</b>\n\\ \u2028 🎟' }],
  ])('is byte for byte the JSON of the view: %s', (_label, change) => {
    const record = { ...base, ...change };
    expect(renderQueuedSession(queuedSessionTemplate(record), record)).toBe(
      JSON.stringify(sessionView(record, null)),
    );
  });
});

describe('left_reason and event_message of the session body', () => {
  const record = (change: Partial<SessionRecord>): SessionRecord => ({
    sessionId: 'e~AAAAAAAAAAAAAAAAAAAAAA',
    eventId: 'e',
    userId: 'u',
    priority: 0,
    status: 'left',
    joinedAtMs: 1795780000123,
    admittedAtMs: null,
    expiresAtMs: null,
    position: null,
    queueLength: 0,
    admissionRatePerSecond: null,
    eventState: 'closed',
    opensAtMs: null,
    leftReason: 'sold_out',
    eventMessage: 'All tickets are gone.',
    score: null,
    ...change,
  });

  it('carries both as they were read', () => {
    expect(sessionView(record({}), null)).toMatchObject({
      status: 'left',
      left_reason: 'sold_out',
      event_message: 'All tickets are gone.',
    });
    expect(sessionView(record({ leftReason: null, eventMessage: null }), null)).toMatchObject({
      left_reason: null,
      event_message: null,
    });
  });
});
