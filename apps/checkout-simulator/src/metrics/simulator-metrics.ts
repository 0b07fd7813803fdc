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
    const counter = <Label extends string>(name: string, help: string, label: Label) =>
      new Counter<Label>({ name: `${METRIC_PREFIX}${name}`, help, labelNames: [label], registers });
    collectProcessMetrics(this.registry, METRIC_PREFIX);
    this.completed = counter(
      'checkouts_completed_total',
      'CHECKOUT_COMPLETED published (acknowledged by the broker)',
      'event_id',
    );
    this.failed = counter(
      'checkouts_failed_total',
      'CHECKOUT_FAILED published (acknowledged by the broker)',
      'event_id',
    );
    this.rejected = counter(
      'tokens_rejected_total',
      'QUEUE_READY of a simulated event dropped because its admission_token did not verify',
      'reason',
    );
    this.skipped = counter(
      'records_skipped_total',
      'QUEUE_READY records not acted on: another event, malformed, a duplicate, or during shutdown',
      'reason',
    );
    this.publishFailures = counter(
      'publish_failures_total',
      'Checkout outcomes that could not be published after every retry (the session expires instead)',
      'topic',
    );
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
