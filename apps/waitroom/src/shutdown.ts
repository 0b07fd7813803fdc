import { Injectable, Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AdmissionScheduler } from './admission/admission.scheduler';
import { Environment } from './config/environment';
import { OutboxRelayService } from './events/outbox/outbox-relay.service';
import { SessionStreamService } from './live/session-stream.service';

/**
 * SIGTERM/SIGINT, in the order that loses nothing:
 * 1. stop taking requests and finish the ones in flight (open event streams are ended),
 * 2. stop the admission scheduler,
 * 3. drain the outbox relay (what cannot be published in time stays in Redis for the others),
 * 4. leave the consumer group, close the producer and Redis (app.close()), best effort.
 * The whole sequence is bounded by SHUTDOWN_TIMEOUT_MS; if the first three steps overrun it the
 * process exits with 1, anything else exits 0.
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

  private async run(
    app: NestFastifyApplication,
    consumer: { stop: () => void },
    signal: string,
  ): Promise<void> {
    const started = Date.now();
    const budget = this.env.SHUTDOWN_TIMEOUT_MS;
    const hardStop = setTimeout(() => {
      this.logger.error(`shutdown took longer than ${budget} ms; exiting`);
      process.exit(1);
    }, budget);
    hardStop.unref();
    this.logger.log(`${signal}: shutting down`);

    this.streams.closeAll();
    // close() stops accepting and lets in-flight requests finish, but a keep-alive connection
    // that goes idle afterwards would hold it open for the keep-alive timeout: sweep those away.
    const server = app.getHttpServer();
    const sweeper = setInterval(() => server.closeIdleConnections(), 100);
    await app.getHttpAdapter().getInstance().close();
    clearInterval(sweeper);
    this.logger.log(`HTTP closed after ${Date.now() - started} ms`);
    this.scheduler.stop();
    // Leave a share of the budget for closing Kafka and Redis.
    await this.relay.drainAndStop(Math.max(0, budget * 0.6 - (Date.now() - started)));
    this.logger.log(`outbox drained after ${Date.now() - started} ms`);
    consumer.stop();
    // Leaving the consumer group can wait on a rebalance in progress. Nothing is at stake there
    // (offsets are committed only for processed messages, and the broker evicts a silent member
    // after its session timeout), so it gets what is left of the budget and no more.
    const closed = await Promise.race([
      app.close().then(() => true),
      new Promise<boolean>((resolve) =>
        setTimeout(() => resolve(false), Math.max(0, budget - 500 - (Date.now() - started))).unref(),
      ),
    ]);
    clearTimeout(hardStop);
    if (!closed)
      this.logger.warn('connections were still closing when the budget ran out; leaving them to the broker');
    this.logger.log(`stopped cleanly in ${Date.now() - started} ms`);
  }
}
