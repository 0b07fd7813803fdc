import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import type { IHeaders, Producer } from 'kafkajs';
import { errorCauses } from '../../common/transient-errors';

export const KAFKA_PRODUCER_CLIENT = Symbol('KAFKA_PRODUCER_CLIENT');

export interface OutgoingRecord {
  topic: string;
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: IHeaders;
}

/**
 * Publishes through the ClientKafka producer and resolves only when the broker acknowledged
 * every record (acks from all in-sync replicas): a failure rejects, it never vanishes.
 * One sendBatch per call: a relay batch is one round trip, not one per message.
 */
@Injectable()
export class KafkaPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(KafkaPublisher.name);
  private connected = false;
  private failedAt: number | null = null;
  /** When the broker last acknowledged a send, and since when it has without a failure in between. */
  lastAcknowledgedAt: number | null = null;
  acknowledgedSince: number | null = null;

  constructor(@Inject(KAFKA_PRODUCER_CLIENT) private readonly client: ClientKafka) {}

  get isConnected(): boolean {
    return this.connected;
  }

  async publish(records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    const producer = await this.producer();
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const record of records) {
      const list = byTopic.get(record.topic);
      if (list) list.push(record);
      else byTopic.set(record.topic, [record]);
    }
    try {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map(({ key, value, headers }) => ({ key, value, headers })),
        })),
      });
    } catch (error) {
      this.connected = false;
      this.failedAt = Date.now();
      if (isProducerStateLost(error)) await this.resetProducer(error);
      throw error;
    }
    this.connected = true;
    const now = Date.now();
    if (
      this.acknowledgedSince === null ||
      (this.failedAt !== null && this.acknowledgedSince <= this.failedAt)
    )
      this.acknowledgedSince = now;
    this.lastAcknowledgedAt = now;
  }

  /**
   * The broker lost track of this idempotent producer's sequence numbers: a batch it wrote just
   * before it crashed was never acknowledged, and the relay's next batch starts at the same
   * sequence with other content. kafkajs keeps retrying with the same producer id for ever; a
   * fresh producer (new id) publishes again. The relay re-sends from the outbox, so at worst a
   * message is duplicated (same message_id), never lost.
   */
  private async resetProducer(error: unknown): Promise<void> {
    this.logger.warn(
      `producer state lost at the broker (${error instanceof Error ? error.message : String(error)}); starting a new producer`,
    );
    await this.client.close().catch(() => undefined);
  }

  private async producer(): Promise<Producer> {
    try {
      const producer = await this.client.connect();
      this.connected = true;
      return producer;
    } catch (error) {
      // ClientKafka keeps a failed connection promise; closing resets it so the next call retries.
      this.connected = false;
      await this.client.close().catch(() => undefined);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close().catch((error: Error) => this.logger.warn(`closing producer: ${error.message}`));
  }
}

/** kafkajs error types after which only a new producer id gets sends through again. */
const PRODUCER_STATE_LOST = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
]);

function isProducerStateLost(error: unknown): boolean {
  for (const { type } of errorCauses(error))
    if (typeof type === 'string' && PRODUCER_STATE_LOST.has(type)) return true;
  return false;
}
