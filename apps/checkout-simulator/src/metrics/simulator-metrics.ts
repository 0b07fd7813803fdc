import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import type { RejectReason } from '@waitroom/gate';
import { collectProcessMetrics } from '@waitroom/process-metrics';

export const METRIC_PREFIX = 'checkout_simulator_';

/** Why a QUEUE_READY record was not acted on (label `reason` of records_skipped_total). */
export type SkipReason = 'not_simulated' | 'malformed' | 'duplicate' | 'shutting_down';

/**
 * The simulator's Prometheus metrics, in a registry of its own (the integration test runs it in
 * one process with the waitroom, whose registry is separate too).
 */
@Injectable()
export class SimulatorMetrics {
  readonly registry = new Registry();
  private readonly completed: Counter<'event_id'>;
  private readonly failed: Counter<'event_id'>;
  private readonly rejected: Counter<'reason'>;
  private readonly skipped: Counter<'reason'>;
  private readonly publishFailures: Counter<'topic'>;
  readonly pending: Gauge;

  constructor() {
    const registers = [this.registry];
    collectProcessMetrics(this.registry, METRIC_PREFIX);
    this.completed = new Counter({
      name: `${METRIC_PREFIX}checkouts_completed_total`,
      help: 'CHECKOUT_COMPLETED published (acknowledged by the broker)',
      labelNames: ['event_id'],
      registers,
    });
    this.failed = new Counter({
      name: `${METRIC_PREFIX}checkouts_failed_total`,
      help: 'CHECKOUT_FAILED published (acknowledged by the broker)',
      labelNames: ['event_id'],
      registers,
    });
    this.rejected = new Counter({
      name: `${METRIC_PREFIX}tokens_rejected_total`,
      help: 'QUEUE_READY of a simulated event dropped because its admission_token did not verify',
      labelNames: ['reason'],
      registers,
    });
    this.skipped = new Counter({
      name: `${METRIC_PREFIX}records_skipped_total`,
      help: 'QUEUE_READY records not acted on: another event, malformed, a duplicate, or during shutdown',
      labelNames: ['reason'],
      registers,
    });
    this.publishFailures = new Counter({
      name: `${METRIC_PREFIX}publish_failures_total`,
      help: 'Checkout outcomes that could not be published after every retry (the session expires instead)',
      labelNames: ['topic'],
      registers,
    });
    this.pending = new Gauge({
      name: `${METRIC_PREFIX}pending_checkouts`,
      help: 'Checkouts started and not yet published',
      registers,
    });
    // Every label value a dashboard expects is present from the first scrape.
    for (const reason of ['not_simulated', 'malformed', 'duplicate', 'shutting_down'] satisfies SkipReason[])
      this.skipped.inc({ reason }, 0);
  }

  checkoutCompleted(eventId: string): void {
    this.completed.inc({ event_id: eventId });
  }
  checkoutFailed(eventId: string): void {
    this.failed.inc({ event_id: eventId });
  }
  tokenRejected(reason: RejectReason): void {
    this.rejected.inc({ reason });
  }
  recordSkipped(reason: SkipReason): void {
    this.skipped.inc({ reason });
  }
  publishFailed(topic: string): void {
    this.publishFailures.inc({ topic });
  }

  scrape(): Promise<string> {
    return this.registry.metrics();
  }
  get contentType(): string {
    return this.registry.contentType;
  }
}
