import type { KafkaOptions } from '@nestjs/microservices';
import { KafkaContext, ServerKafka } from '@nestjs/microservices';
import type { EachMessagePayload } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import type { ConsumerState } from './consumer-state';
import { RetryLater } from './retry-later';

const RESTART_DELAY_MIN_MS = 1000;
const RESTART_DELAY_MAX_MS = 30000;

/**
 * What a handler error that is not RetryLater means: `retry` the record (the waitroom: a checkout
 * outcome must not be lost; its handlers settle every record themselves, so this is a bug's
 * safety net), or `skip` it (the checkout simulator: a simulated checkout is not worth blocking
 * a partition for).
 */
export type UnexpectedHandlerError = 'retry' | 'skip';

/**
 * Nest's Kafka transport with two changes that keep the consumer alive whatever a record holds.
 *
 * 1. Records reach the handlers as kafkajs delivered them. Nest's KafkaParser JSON-decodes a
 *    record's key and headers whenever they start with `{` or `[` (keepBinary covers the value
 *    only), which turned `{"k":1}` keys into objects that the dead-letter producer could not
 *    encode, and re-encoded non-UTF-8 keys. Here value, key and headers stay Buffers end to end.
 * 2. Nothing non-retriable reaches kafkajs: RetryLater passes (a retriable kafkajs error: no
 *    commit, retried with backoff); any other handler error is retried as one or skipped, as the
 *    app chose; and if the consumer crashes anyway without kafkajs restarting it, this server
 *    starts it again, with backoff. ConsumerState tells the app's readiness probe.
 */
export class RawRecordKafkaServer extends ServerKafka {
  private closing = false;
  private restartTimer?: NodeJS.Timeout;
  private restartAttempts = 0;

  constructor(
    options: Required<KafkaOptions>['options'],
    private readonly state: ConsumerState,
    private readonly onUnexpectedError: UnexpectedHandlerError = 'retry',
  ) {
    super(options);
  }

  override async handleMessage(payload: EachMessagePayload): Promise<void> {
    const { topic, partition, message, heartbeat } = payload;
    const handler = this.getHandlerByPattern(topic);
    if (!handler) {
      // Subscriptions are exactly the handlers' patterns; a record here would be a Nest change.
      this.logger.error(`no handler for topic ${topic}; record ${partition}@${message.offset} skipped`);
      return;
    }
    const context = new KafkaContext([message, partition, topic, this.consumer!, heartbeat, this.producer!]);
    try {
      const result: unknown = await handler(message.value, context);
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    } catch (error) {
      if (error instanceof RetryLater) throw error;
      const reason = error instanceof Error ? (error.stack ?? error.message) : String(error);
      if (this.onUnexpectedError === 'skip') {
        this.logger.error(
          `${topic}[${partition}]@${message.offset}: handler error, record skipped: ${reason}`,
        );
        return;
      }
      this.logger.error(
        `${topic}[${partition}]@${message.offset}: unexpected handler error, retrying: ${reason}`,
      );
      throw new RetryLater(
        `unexpected handler error: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  protected override registerConsumerEventListeners(): void {
    super.registerConsumerEventListeners();
    const consumer = this.consumer;
    if (!consumer) return;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.restartAttempts = 0;
      this.state.set('running');
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.state.restarts++;
      this.state.set('rejoining', payload.error.message);
      // kafkajs restarts by itself after a retriable error; after any other it stops for good.
      if (!payload.restart) this.scheduleRestart(payload.error.message);
    });
  }

  override async listen(callback: (error?: unknown) => void): Promise<void> {
    this.closing = false;
    this.state.set('starting');
    await super.listen(callback);
  }

  override async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.state.set('stopped');
    await super.close();
  }

  private scheduleRestart(reason: string): void {
    if (this.closing || this.restartTimer) return;
    const delay = Math.min(RESTART_DELAY_MAX_MS, RESTART_DELAY_MIN_MS * 2 ** this.restartAttempts++);
    this.logger.warn(`consumer stopped (${reason}); starting it again in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.restart();
    }, delay);
  }

  private async restart(): Promise<void> {
    if (this.closing) return;
    try {
      await super.close();
      this.closing = false;
      this.client = this.createClient();
      await this.start(() => undefined);
    } catch (error) {
      this.scheduleRestart(error instanceof Error ? error.message : String(error));
    }
  }
}
