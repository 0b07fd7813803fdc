import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ClientKafka } from '@nestjs/microservices';
import type { Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { CheckoutOutcomeMessage } from '@waitroom/contracts';

export const KAFKA_PRODUCER_CLIENT = Symbol('KAFKA_PRODUCER_CLIENT');

export type OutcomeTopic = 'CHECKOUT_COMPLETED' | 'CHECKOUT_FAILED';

/** Attempts per outcome (kafkajs retries inside each attempt too); then it is logged and counted. */
const PUBLISH_ATTEMPTS = 3;
const RETRY_BASE_MS = 500;

/**
 * Publishes checkout outcomes and resolves only once the broker acknowledged them: a failure is
 * retried a bounded number of times and then rejects, it never vanishes.
 */
@Injectable()
export class OutcomePublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(OutcomePublisher.name);

  constructor(@Inject(KAFKA_PRODUCER_CLIENT) private readonly client: ClientKafka) {}

  async publish(topic: OutcomeTopic, message: CheckoutOutcomeMessage & { event_id: string }): Promise<void> {
    const record = {
      key: message.event_id,
      value: JSON.stringify(message),
      // Consumers dedupe on it; the same id on every attempt of this outcome.
      headers: { message_id: randomUUID() },
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const producer = await this.producer();
        await producer.send({ topic, acks: -1, messages: [record] });
        return;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (attempt >= PUBLISH_ATTEMPTS) {
          this.logger.error(
            `${topic} for ${message.session_id} not published after ${attempt} attempts: ${reason}`,
          );
          throw error;
        }
        this.logger.warn(
          `${topic} for ${message.session_id}: attempt ${attempt} failed (${reason}); retrying`,
        );
        await new Promise((resolve) => setTimeout(resolve, RETRY_BASE_MS * 2 ** (attempt - 1)));
      }
    }
  }

  private async producer(): Promise<Producer> {
    try {
      return await this.client.connect();
    } catch (error) {
      // ClientKafka keeps a failed connection promise; closing resets it so the next call retries.
      await this.client.close().catch(() => undefined);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close().catch((error: Error) => this.logger.warn(`closing producer: ${error.message}`));
  }
}
