/**
 * Test fixture of the simulator's specs: the value of a QUEUE_READY record as the waitroom
 * publishes it (CONTRACT.md), for session `ev-1~s1` of event `ev-1`; `changes` replace fields
 * (undefined removes one) or add some.
 */
export function queueReadyRecord(changes: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      message_id: 'm-1',
      session_id: 'ev-1~s1',
      user_id: 'u-1',
      event_id: 'ev-1',
      admitted_at: '2026-01-01T10:00:00.000Z',
      expires_at: '2026-01-01T10:10:00.000Z',
      admission_token: 'a.b.c',
      timestamp: '2026-01-01T10:00:00.000Z',
      ...changes,
    }),
  );
}
