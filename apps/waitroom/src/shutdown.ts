import { Injectable, Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AdmissionScheduler } from './admission/admission.scheduler';
import { Environment } from './config/environment';
import { OutboxRelayService } from './events/outbox-relay.service';
import { SessionStreamService } from './waitroom/session-stream.service';

/**
 * SIGTERM/SIGINT, in the order that loses nothing:
 * 1. stop taking requests and finish the ones in flight (open event streams are ended),
 * 2. stop the admission scheduler,
 * 3. drain the outbox relay (what cannot be published in time stays in Redis for the others),
 * 4. leave the consumer group, close the producer and Redis (app.close()).
 * The whole sequence is bounded by SHUTDOWN_TIMEOUT_MS; past it the process exits anyway.
 */
@Injectable()
export class GracefulShutdown {
  private readonly logger = new Logger(GracefulShutdown.name);
  private shuttingDown?: Promise<void>;

  constructor(
    private readonly env: Environment,
    private readonly scheduler: AdmissionScheduler,
    private readonly relay: OutboxRelayService,
    private readonly streams: SessionStreamService,
  ) {}

  arm(app: NestFastifyApplication, consumer: { stop: () => void }): void {
    const onSignal = (signal: NodeJS.Signals) => {
      void this.shutdown(app, consumer, signal).then(
        () => process.exit(0),
        (error: unknown) => {
          this.logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  shutdown(app: NestFastifyApplication, consumer: { stop: () => void }, signal: string): Promise<void> {
    this.shuttingDown ??= this.run(app, consumer, signal);
    return this.shuttingDown;
  }

  private async run(app: NestFastifyApplication, consumer: { stop: () => void }, signal: string): Promise<void> {
    const started = Date.now();
    const budget = this.env.SHUTDOWN_TIMEOUT_MS;
    const hardStop = setTimeout(() => {
      this.logger.error(`shutdown took longer than ${budget} ms; exiting`);
      process.exit(1);
    }, budget);
    hardStop.unref();
    this.logger.log(`${signal}: shutting down`);

    this.streams.closeAll();
    await app.getHttpAdapter().getInstance().close();
    this.scheduler.stop();
    // Leave a share of the budget for closing Kafka and Redis.
    await this.relay.drainAndStop(Math.max(0, budget * 0.6 - (Date.now() - started)));
    consumer.stop();
    await app.close();
    clearTimeout(hardStop);
    this.logger.log(`stopped cleanly in ${Date.now() - started} ms`);
  }
}
