import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { StoreUnavailableError } from '../../redis/store-errors';
import type { QueueService } from '../../queue/queue.service';
import { CheckoutEventsService, MAX_ATTEMPTS_OF_A_FAILING_MESSAGE } from './checkout-events.service';
import type { IncomingRecord } from './dead-letter';
import type { KafkaPublisher, OutgoingRecord } from '../outbox/kafka-publisher';
import { RetryLater } from '@waitroom/kafka-consumer';

function record(value: string | null, offset = '7'): IncomingRecord {
  return {
    topic: 'CHECKOUT_COMPLETED',
    partition: 3,
    offset,
    key: Buffer.from([0xff, 0xfe]),
    value: value === null ? null : Buffer.from(value),
    headers: { trace: Buffer.from('{"a":1}') },
  };
}

describe('CheckoutEventsService', () => {
  let finish: jest.Mock;
  let publish: jest.Mock<Promise<void>, [OutgoingRecord[]]>;
  let sut: CheckoutEventsService;

  beforeEach(() => {
    finish = jest.fn().mockResolvedValue('applied');
    publish = jest.fn().mockResolvedValue(undefined);
    sut = new CheckoutEventsService(
      { finishCheckout: finish } as unknown as QueueService,
      { publish } as unknown as KafkaPublisher,
    );
  });

  it('applies a valid message, ignoring optional fields of the wrong type', async () => {
    await expect(sut.handle(record('{"session_id":"e~x","timestamp":17,"event_id":5}'))).resolves.toBe(
      'applied',
    );
    expect(finish).toHaveBeenCalledWith('e~x', 'completed');
  });

  it('dead-letters unreadable values with the key and headers as they came', async () => {
    await expect(sut.handle(record('not json'))).resolves.toBe('dead_lettered');
    const [[copy]] = publish.mock.calls[0];
    expect(copy.topic).toBe('CHECKOUT_COMPLETED.DLQ');
    expect(copy.key).toEqual(Buffer.from([0xff, 0xfe]));
    expect(copy.value).toEqual(Buffer.from('not json'));
    expect(copy.headers).toMatchObject({
      trace: Buffer.from('{"a":1}'),
      original_topic: 'CHECKOUT_COMPLETED',
      original_partition: '3',
      original_offset: '7',
    });
  });

  it('asks for a retry (no commit) while Redis is away, however often', async () => {
    finish.mockRejectedValue(new StoreUnavailableError());
    for (let i = 0; i < 5; i++)
      await expect(sut.handle(record('{"session_id":"e~x"}'))).rejects.toBeInstanceOf(RetryLater);
    expect(publish).not.toHaveBeenCalled();
  });

  it('dead-letters a valid message whose handling keeps failing, after a bounded number of attempts', async () => {
    finish.mockRejectedValue(new Error('ERR Error running script: bug'));
    for (let i = 1; i < MAX_ATTEMPTS_OF_A_FAILING_MESSAGE; i++)
      await expect(sut.handle(record('{"session_id":"e~x"}'))).rejects.toBeInstanceOf(RetryLater);
    await expect(sut.handle(record('{"session_id":"e~x"}'))).resolves.toBe('dead_lettered');
    expect(publish.mock.calls[0][0][0].headers?.error).toMatch(
      /not applied after 3 attempts: ERR Error running script/,
    );
  });

  it('sends a truncated copy when the broker refuses the full one as too large', async () => {
    const tooLarge = new KafkaJSProtocolError('too large');
    Object.assign(tooLarge, { type: 'MESSAGE_TOO_LARGE', retriable: false });
    publish.mockRejectedValueOnce(new KafkaJSNonRetriableError(tooLarge));
    await expect(sut.handle(record('x'.repeat(100_000)))).resolves.toBe('dead_lettered');
    const truncated = publish.mock.calls[1][0][0];
    expect(truncated.value?.length).toBe(64 * 1024);
    expect(truncated.headers).toMatchObject({ original_value_bytes: '100000', original_offset: '7' });
    expect(String(truncated.headers?.dlq_truncated)).toMatch(/broker refused the full copy/);
    expect(sut.stats.truncatedDeadLetters).toBe(1);
  });

  it('truncates before sending when the copy would exceed the broker limit', async () => {
    await expect(sut.handle(record('x'.repeat(1_000_000)))).resolves.toBe('dead_lettered');
    expect(publish).toHaveBeenCalledTimes(1);
    expect(publish.mock.calls[0][0][0].headers).toMatchObject({ original_value_bytes: '1000000' });
  });

  it('asks for a retry when the dead-letter topic is unreachable', async () => {
    publish.mockRejectedValue(new KafkaJSConnectionError('broker down'));
    await expect(sut.handle(record('not json'))).rejects.toBeInstanceOf(RetryLater);
  });
});
