import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import type { IHeaders, Producer } from 'kafkajs';

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
      throw error;
    }
    this.connected = true;
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
