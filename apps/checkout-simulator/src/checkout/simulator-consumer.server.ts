import { KafkaContext, ServerKafka, type KafkaOptions } from '@nestjs/microservices';
import type { EachMessagePayload } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import type { ConsumerState } from './consumer-state';

const RESTART_DELAY_MIN_MS = 1000;
const RESTART_DELAY_MAX_MS = 30000;

/**
 * Nest's Kafka transport, changed so that no record can stop the consumer:
 * 1. Records reach the handler as kafkajs delivered them. Nest's KafkaParser would JSON-decode a
 *    key or header starting with `{` or `[` (and throw on some); the simulator reads the value only.
 * 2. A handler error is logged and the record skipped (it is committed): a simulated checkout is
 *    not worth blocking a partition for, and an error thrown into kafkajs that it deems
 *    non-retriable would stop the consumer for good. If the consumer crashes anyway without
 *    kafkajs restarting it (a broker-side error), this server starts it again, with backoff.
 */
export class SimulatorConsumerServer extends ServerKafka {
  private closing = false;
  private restartTimer?: NodeJS.Timeout;
  private restartAttempts = 0;

  constructor(
    options: Required<KafkaOptions>['options'],
    private readonly state: ConsumerState,
  ) {
    super(options);
  }

  override async handleMessage(payload: EachMessagePayload): Promise<void> {
    const { topic, partition, message, heartbeat } = payload;
    const handler = this.getHandlerByPattern(topic);
    if (!handler) {
      this.logger.error(`no handler for topic ${topic}; record ${partition}@${message.offset} skipped`);
      return;
    }
    const context = new KafkaContext([message, partition, topic, this.consumer!, heartbeat, this.producer!]);
    try {
      const result: unknown = await handler(message.value, context);
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    } catch (error) {
      const reason = error instanceof Error ? (error.stack ?? error.message) : String(error);
      this.logger.error(`${topic}[${partition}]@${message.offset}: handler error, record skipped: ${reason}`);
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
