import { queueReadyRecord } from '../testing/queue-ready-record';
import { readQueueReady } from './queue-ready-record';

const simulated = new Set(['ev-1']);
const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('readQueueReady', () => {
  const sut = readQueueReady;

  it('reads a contract message of a simulated event', () => {
    const reading = sut(queueReadyRecord({ extra_field: 'ignored' }), simulated);
    expect(reading.kind).toBe('ready');
    if (reading.kind === 'ready') expect(reading.message.session_id).toBe('ev-1~s1');
  });

  it('leaves other events alone without checking them further', () => {
    expect(sut(bytes({ event_id: 'ev-2' }), simulated)).toEqual({ kind: 'not_simulated', eventId: 'ev-2' });
  });

  it.each([
    ['no value', null],
    ['not JSON', bytes('{"event_id":')],
    ['not an object', bytes('[1,2]')],
    ['a JSON string', bytes('"ev-1"')],
    ['no event_id', queueReadyRecord({ event_id: undefined })],
    ['no admission_token', queueReadyRecord({ admission_token: undefined })],
    ['no session_id', queueReadyRecord({ session_id: '' })],
    ['a bad timestamp', queueReadyRecord({ expires_at: 'soon' })],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b])],
    ['a prototype key', bytes('{"__proto__":{"event_id":"ev-1"}}')],
  ])('calls a record with %s malformed', (_label, value) => {
    expect(sut(value, simulated).kind).toBe('malformed');
  });
});
