import { Injectable, Logger } from '@nestjs/common';
import { readCheckoutOutcome, Topics } from '@waitroom/contracts';
import { isTransientError } from '../../common/transient-errors';
import { QueueService } from '../../queue/queue.service';
import {
  DEAD_LETTER_MAX_BYTES,
  deadLetterCopy,
  deadLetterCopyBytes,
  truncatedDeadLetterCopy,
  type IncomingRecord,
} from './dead-letter';
import { KafkaPublisher } from '../outbox/kafka-publisher';
import { RetryLater } from '@waitroom/kafka-consumer';

const OUTCOME_BY_TOPIC = {
  [Topics.CHECKOUT_COMPLETED]: 'completed',
  [Topics.CHECKOUT_FAILED]: 'failed',
  [Topics.CHECKOUT_EXPIRED]: 'expired',
} as const;

/** How often a valid message whose handling fails for a non-transient reason is tried before it is dead-lettered. */
export const MAX_ATTEMPTS_OF_A_FAILING_MESSAGE = 3;
/** Bound on the failure bookkeeping (one entry per record that failed and has not been settled). */
const ATTEMPTS_REMEMBERED = 10_000;

type CheckoutHandling = 'applied' | 'unchanged' | 'not_found' | 'dead_lettered';

/**
 * Applies checkout outcomes. Every record ends as applied, ignored (not ready, redelivered,
 * unknown session) or dead-lettered; the only thing that leaves this class is RetryLater, for
 * a transient failure (Redis or Kafka away), so the offset is not committed and kafkajs tries
 * again with backoff. A valid message whose handling keeps failing for another reason (a bug,
 * a script error) is tried MAX_ATTEMPTS_OF_A_FAILING_MESSAGE times, then dead-lettered with the
 * reason: it never blocks its partition for good.
 */
@Injectable()
export class CheckoutEventsService {
  private readonly logger = new Logger(CheckoutEventsService.name);
  /** Counters read by the metrics endpoint. */
  readonly stats = { deadLettered: 0, truncatedDeadLetters: 0, applied: 0, ignored: 0, retried: 0 };
  /** Failed attempts per record (topic/partition/offset) that is still being retried. */
  private readonly failedAttempts = new Map<string, number>();

  constructor(
    private readonly waitroom: QueueService,
    private readonly publisher: KafkaPublisher,
  ) {}

  async handle(record: IncomingRecord): Promise<CheckoutHandling> {
    const reading = readCheckoutOutcome(record.value);
    if (!reading.ok) return this.deadLetter(record, reading.error);

    let result: 'applied' | 'unchanged' | 'not_found';
    try {
      result = await this.waitroom.finishCheckout(reading.value.session_id, OUTCOME_BY_TOPIC[record.topic]);
    } catch (error) {
      return this.afterFailure(record, error);
    }
    this.failedAttempts.delete(recordId(record));
    if (result === 'applied') this.stats.applied++;
    else this.stats.ignored++;
    return result;
  }

  private async afterFailure(record: IncomingRecord, error: unknown): Promise<'dead_lettered'> {
    const reason = error instanceof Error ? error.message : String(error);
    if (isTransientError(error)) {
      this.stats.retried++;
      throw new RetryLater(`checkout message not applied yet: ${reason}`);
    }
    const id = recordId(record);
    const attempts = (this.failedAttempts.get(id) ?? 0) + 1;
    if (attempts < MAX_ATTEMPTS_OF_A_FAILING_MESSAGE) {
      if (this.failedAttempts.size >= ATTEMPTS_REMEMBERED) this.failedAttempts.clear();
      this.failedAttempts.set(id, attempts);
      this.stats.retried++;
      this.logger.warn(`${id} failed (attempt ${attempts}): ${reason}`);
      throw new RetryLater(`checkout message failed (attempt ${attempts}): ${reason}`);
    }
    this.failedAttempts.delete(id);
    this.logger.error(`${id} failed ${attempts} times, dead-lettering it: ${reason}`);
    return this.deadLetter(record, `not applied after ${attempts} attempts: ${reason}`);
  }

  /**
   * Sends the original record to `<TOPIC>.DLQ`. A copy too large for the broker (or refused for
   * any other non-transient reason) is replaced by a truncated one; a transient failure is retried.
   */
  private async deadLetter(record: IncomingRecord, reason: string): Promise<'dead_lettered'> {
    this.logger.warn(`${recordId(record)} dead-lettered: ${reason.slice(0, 200)}`);
    const tooLarge = deadLetterCopyBytes(record, reason) > DEAD_LETTER_MAX_BYTES;
    try {
      if (tooLarge) {
        await this.publisher.publish([
          truncatedDeadLetterCopy(record, reason, 'larger than the dead-letter limit'),
        ]);
        this.stats.truncatedDeadLetters++;
      } else {
        await this.sendFullOrTruncated(record, reason);
      }
    } catch (error) {
      this.stats.retried++;
      throw new RetryLater(
        `dead letter not published yet: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.stats.deadLettered++;
    return 'dead_lettered';
  }

  private async sendFullOrTruncated(record: IncomingRecord, reason: string): Promise<void> {
    try {
      await this.publisher.publish([deadLetterCopy(record, reason)]);
    } catch (error) {
      if (isTransientError(error)) throw error;
      const refusal = error instanceof Error ? error.message : String(error);
      await this.publisher.publish([
        truncatedDeadLetterCopy(record, reason, `broker refused the full copy: ${refusal}`),
      ]);
      this.stats.truncatedDeadLetters++;
    }
  }
}

function recordId(record: IncomingRecord): string {
  return `${record.topic}[${record.partition}]@${record.offset}`;
}
