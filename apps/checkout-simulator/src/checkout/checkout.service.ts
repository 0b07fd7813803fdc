import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Topics, type QueueReadyMessage } from '@waitroom/contracts';
import { AdmissionTokenVerifier, type ExpectedClaims, type TokenVerdict } from '@waitroom/gate';
import { randomUUID } from 'node:crypto';
import { SimulatorConfig } from '../config/environment';
import { SimulatorMetrics, type SkipReason } from '../metrics/simulator-metrics';
import { decideOutcome, type CheckoutOutcome } from './checkout-outcome';
import { OutcomePublisher, type OutcomeTopic } from './outcome-publisher';
import { readQueueReady } from './queue-ready-record';

/** Returns [0, 1) like Math.random; injected so tests decide outcomes. */
export const RANDOM_SOURCE = Symbol('RANDOM_SOURCE');
type RandomSource = () => number;

/** Verifications per token while the waitroom's key set cannot be fetched, then the record is dropped. */
export const JWKS_ATTEMPTS = 3;
const JWKS_RETRY_BASE_MS = 250;
/** How many ended checkouts (and message ids) are remembered, for duplicates and the page. */
const REMEMBERED_CHECKOUTS = 10_000;

type RecordResult = 'started' | 'rejected' | SkipReason;
export type CheckoutStatus = 'pending' | 'completed' | 'failed' | 'not_published';

interface PendingCheckout {
  message: QueueReadyMessage;
  outcome: CheckoutOutcome;
  timer?: NodeJS.Timeout;
  publishing?: Promise<void>;
}

/**
 * The simulated checkout: for each admission (QUEUE_READY) of a simulated event whose token
 * verifies, decide the outcome at once, wait the drawn delay, then publish CHECKOUT_COMPLETED or
 * CHECKOUT_FAILED. Pending checkouts live in memory only: they are started once the record is
 * read (its offset is then committed), so a crash loses them and those sessions expire at the
 * waitroom's checkout deadline. A graceful shutdown publishes them at once (see drain()).
 */
@Injectable()
export class CheckoutService implements OnModuleDestroy {
  private readonly logger = new Logger(CheckoutService.name);
  private readonly pending = new Map<string, PendingCheckout>();
  private readonly ended = new Map<string, CheckoutStatus>();
  private readonly seenMessageIds = new Set<string>();
  private accepting = true;

  constructor(
    private readonly config: SimulatorConfig,
    private readonly verifier: AdmissionTokenVerifier,
    private readonly publisher: OutcomePublisher,
    private readonly metrics: SimulatorMetrics,
    @Inject(RANDOM_SOURCE) private readonly random: RandomSource,
  ) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  /** One QUEUE_READY record's value. Never throws: every record ends in one of the results. */
  async handleQueueReady(value: Buffer | null): Promise<RecordResult> {
    if (!this.accepting) return this.skip('shutting_down');
    const reading = readQueueReady(value, this.config.simulatedEvents);
    if (reading.kind === 'not_simulated') return this.skip('not_simulated');
    if (reading.kind === 'malformed') {
      this.logger.warn(`QUEUE_READY record skipped: ${reading.error}`);
      return this.skip('malformed');
    }
    const message = reading.message;
    // At-least-once delivery: the same message again, or a second admission while one is pending.
    if (this.seenMessageIds.has(message.message_id) || this.pending.has(message.session_id))
      return this.skip('duplicate');
    const verdict = await this.verify(message.admission_token, {
      eventId: message.event_id,
      sessionId: message.session_id,
    });
    if (!verdict.ok) {
      this.metrics.tokenRejected(verdict.reason);
      this.logger.warn(`token of ${message.session_id} rejected (${verdict.reason}): ${verdict.message}`);
      return 'rejected';
    }
    if (!this.accepting) return this.skip('shutting_down');
    if (this.pending.has(message.session_id)) return this.skip('duplicate');
    this.remember(this.seenMessageIds, message.message_id);
    this.start(message);
    return 'started';
  }

  /** Verifies as the Kafka path does, for the checkout page: any simulated event, any session. */
  verifyForPage(token: string): Promise<TokenVerdict> {
    return this.verifier.verify(token, { eventId: [...this.config.simulatedEvents] });
  }

  /** What the simulator knows of a session's checkout (null: never seen, or long forgotten). */
  statusOf(sessionId: string): CheckoutStatus | null {
    return this.pending.has(sessionId) ? 'pending' : (this.ended.get(sessionId) ?? null);
  }

  /**
   * Graceful shutdown: takes no new checkouts and publishes every pending one now, without waiting
   * for its delay, so their slots are freed promptly. What is not acknowledged within `budgetMs`
   * is dropped (logged): those sessions expire at their checkout deadline.
   */
  async drain(budgetMs: number): Promise<{ published: number; dropped: number }> {
    this.accepting = false;
    const entries = [...this.pending.values()];
    if (entries.length > 0) this.logger.log(`finishing ${entries.length} pending checkout(s) now`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(entries.map((entry) => this.finish(entry))),
      new Promise((resolve) => (timer = setTimeout(resolve, budgetMs))),
    ]);
    clearTimeout(timer);
    const dropped = this.pending.size;
    if (dropped > 0) this.logger.warn(`${dropped} pending checkout(s) dropped at shutdown`);
    this.dropAll();
    return { published: entries.length - dropped, dropped };
  }

  /** app.close() without drain() (tests): nothing fires after the producer is gone. */
  onModuleDestroy(): void {
    this.accepting = false;
    this.dropAll();
  }

  private async verify(token: string, expected: ExpectedClaims): Promise<TokenVerdict> {
    for (let attempt = 1; ; attempt++) {
      const verdict = await this.verifier.verify(token, expected);
      if (verdict.ok || verdict.reason !== 'jwks_unavailable' || attempt >= JWKS_ATTEMPTS) return verdict;
      await new Promise((resolve) => setTimeout(resolve, JWKS_RETRY_BASE_MS * 2 ** (attempt - 1)));
    }
  }

  private start(message: QueueReadyMessage): void {
    const outcome = decideOutcome(this.config.checkoutDelay, this.config.failureRate, this.random);
    const entry: PendingCheckout = { message, outcome };
    entry.timer = setTimeout(() => void this.finish(entry), outcome.delayMs);
    this.pending.set(message.session_id, entry);
    this.metrics.pending.set(this.pending.size);
  }

  private finish(entry: PendingCheckout): Promise<void> {
    entry.publishing ??= this.publish(entry);
    return entry.publishing;
  }

  private async publish(entry: PendingCheckout): Promise<void> {
    clearTimeout(entry.timer);
    const { message, outcome } = entry;
    const topic: OutcomeTopic =
      outcome.kind === 'completed' ? Topics.CHECKOUT_COMPLETED : Topics.CHECKOUT_FAILED;
    try {
      await this.publisher.publish(topic, {
        session_id: message.session_id,
        event_id: message.event_id,
        user_id: message.user_id,
        order_id: `ord_${randomUUID()}`,
        ...(outcome.kind === 'failed' ? { reason: outcome.reason } : {}),
        timestamp: new Date().toISOString(),
      });
      if (outcome.kind === 'completed') this.metrics.checkoutCompleted(message.event_id);
      else this.metrics.checkoutFailed(message.event_id);
      this.remember(this.ended, message.session_id, outcome.kind);
    } catch {
      // OutcomePublisher logged every attempt; the session expires at the waitroom instead.
      this.metrics.publishFailed(topic);
      this.remember(this.ended, message.session_id, 'not_published');
    } finally {
      if (this.pending.get(message.session_id) === entry) this.pending.delete(message.session_id);
      this.metrics.pending.set(this.pending.size);
    }
  }

  private dropAll(): void {
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
    this.metrics.pending.set(0);
  }

  private skip(reason: SkipReason): SkipReason {
    this.metrics.recordSkipped(reason);
    return reason;
  }

  /** Insertion-ordered, so the oldest entry goes first once the bound is reached. */
  private remember(set: Set<string>, key: string): void;
  private remember(map: Map<string, CheckoutStatus>, key: string, value: CheckoutStatus): void;
  private remember(
    store: Set<string> | Map<string, CheckoutStatus>,
    key: string,
    value?: CheckoutStatus,
  ): void {
    if (store instanceof Set) store.add(key);
    else store.set(key, value!);
    if (store.size > REMEMBERED_CHECKOUTS) store.delete(store.keys().next().value!);
  }
}
