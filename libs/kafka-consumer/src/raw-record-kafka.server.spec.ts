import type { EachMessagePayload } from 'kafkajs';
import { of, throwError } from 'rxjs';
import { RawRecordKafkaServer } from './raw-record-kafka.server';
import { ConsumerState } from './consumer-state';
import { RetryLater } from './retry-later';

function payload(key: Buffer | null, headers: Record<string, Buffer>): EachMessagePayload {
  return {
    topic: 'CHECKOUT_COMPLETED',
    partition: 2,
    message: {
      key,
      value: Buffer.from('{"session_id":"x"}'),
      headers,
      offset: '41',
      timestamp: '0',
      attributes: 0,
    },
    heartbeat: async () => undefined,
    pause: () => () => undefined,
  };
}

describe('RawRecordKafkaServer', () => {
  let state: ConsumerState;
  let sut: RawRecordKafkaServer;
  let handler: jest.Mock;

  beforeEach(() => {
    state = new ConsumerState();
    sut = new RawRecordKafkaServer({ client: { brokers: ['127.0.0.1:1'] } }, state);
    handler = jest.fn().mockResolvedValue(undefined);
    sut.addHandler('CHECKOUT_COMPLETED', handler, true);
  });

  it('hands the handler the record as kafkajs delivered it: key and headers stay bytes', async () => {
    const key = Buffer.from('{"k":1}');
    const trace = Buffer.from('[1,2]');
    await sut.handleMessage(payload(key, { trace }));
    const context = handler.mock.calls[0][1] as {
      getMessage(): { key: unknown; headers: Record<string, unknown> };
    };
    expect(context.getMessage().key).toBe(key);
    expect(context.getMessage().headers.trace).toBe(trace);
  });

  it('skips the record instead when the app chose to', async () => {
    const skipping = new RawRecordKafkaServer({ client: { brokers: ['127.0.0.1:1'] } }, state, 'skip');
    skipping.addHandler('CHECKOUT_COMPLETED', jest.fn().mockRejectedValue(new TypeError('bug')), true);
    await expect(skipping.handleMessage(payload(null, {}))).resolves.toBeUndefined();
  });

  it('lets RetryLater through and turns any other error, thrown or in an observable, into RetryLater', async () => {
    handler.mockRejectedValueOnce(new RetryLater('redis down'));
    await expect(sut.handleMessage(payload(null, {}))).rejects.toThrow('redis down');
    handler.mockRejectedValueOnce(new TypeError('bug'));
    await expect(sut.handleMessage(payload(null, {}))).rejects.toBeInstanceOf(RetryLater);
    handler.mockReturnValueOnce(throwError(() => new Error('in a stream')));
    const error = await sut.handleMessage(payload(null, {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).retriable).toBe(true);
    handler.mockReturnValueOnce(of('done'));
    await expect(sut.handleMessage(payload(null, {}))).resolves.toBeUndefined();
  });
});
