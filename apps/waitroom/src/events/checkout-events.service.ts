import { Injectable, Logger } from '@nestjs/common';
import {
  CheckoutOutcomeMessage,
  deadLetterTopic,
  DLQ_ERROR_HEADER,
  Topics,
  validateMessage,
  type ConsumedTopic,
} from '@waitroom/contracts';
import type { IHeaders } from 'kafkajs';
import { WaitroomService } from '../waitroom/waitroom.service';
import { KafkaPublisher } from './kafka-publisher';

/** A consumed record as the transport hands it over (raw bytes kept: parser.keepBinary). */
export interface IncomingRecord {
  topic: ConsumedTopic;
  partition: number;
  offset: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: IHeaders;
}

const OUTCOME_BY_TOPIC = {
  [Topics.CHECKOUT_COMPLETED]: 'completed',
  [Topics.CHECKOUT_FAILED]: 'failed',
  [Topics.CHECKOUT_EXPIRED]: 'expired',
} as const;

export type CheckoutHandling = 'applied' | 'unchanged' | 'not_found' | 'dead_lettered';

/**
 * Applies checkout outcomes. Per message: invalid -> dead-letter topic (the partition moves on);
 * transient failure (Redis or the DLQ publish) -> the error propagates, so the offset is not
 * committed and the message is retried; otherwise the session transition, idempotent in Redis.
 */
@Injectable()
export class CheckoutEventsService {
  private readonly logger = new Logger(CheckoutEventsService.name);
  /** Counters read by the metrics endpoint. */
  readonly stats = { deadLettered: 0, applied: 0, ignored: 0 };

  constructor(
    private readonly waitroom: WaitroomService,
    private readonly publisher: KafkaPublisher,
  ) {}

  async handle(record: IncomingRecord): Promise<CheckoutHandling> {
    const parsed = parseJson(record.value);
    if (!parsed.ok) return this.deadLetter(record, parsed.error);
    const validation = validateMessage(CheckoutOutcomeMessage, parsed.value);
    if (!validation.ok) return this.deadLetter(record, validation.errors.join('; '));

    const result = await this.waitroom.finishCheckout(
      validation.value.session_id,
      OUTCOME_BY_TOPIC[record.topic],
    );
    if (result === 'applied') this.stats.applied++;
    else this.stats.ignored++;
    return result;
  }

  private async deadLetter(record: IncomingRecord, error: string): Promise<'dead_lettered'> {
    this.logger.warn(`${record.topic}[${record.partition}]@${record.offset} dead-lettered: ${error}`);
    await this.publisher.publish([
      {
        topic: deadLetterTopic(record.topic),
        key: record.key,
        value: record.value,
        headers: {
          ...record.headers,
          [DLQ_ERROR_HEADER]: error.slice(0, 1000),
          original_topic: record.topic,
          original_partition: String(record.partition),
          original_offset: record.offset,
        },
      },
    ]);
    this.stats.deadLettered++;
    return 'dead_lettered';
  }
}

function parseJson(
  value: Buffer | string | null,
): { ok: true; value: unknown } | { ok: false; error: string } {
  if (value === null) return { ok: false, error: 'empty message (no value)' };
  try {
    return { ok: true, value: JSON.parse(Buffer.isBuffer(value) ? value.toString('utf8') : value) };
  } catch (error) {
    return { ok: false, error: `invalid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}
