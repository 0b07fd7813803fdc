import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Environment } from '../config/environment';
import { EventRegistry } from '../redis/event-registry';
import { AdmissionTokenService } from '../tokens/admission-token.service';
import { KafkaPublisher } from './kafka-publisher';
import { toOutboxRecord } from './outbox-messages';
import { OutboxRepository } from './outbox.repository';

const LEASE_MS = 5000;
const BACKOFF_MAX_MS = 2000;

/**
 * Moves domain events from the Redis outbox streams to Kafka, per event in order, and deletes
 * them only after the broker acknowledged them. While Kafka is down the backlog waits in Redis
 * (bounded by OUTBOX_MAX_BACKLOG, visible as a metric) and flows again when it is back.
 *
 * Every instance runs a relay; a per-event lease keeps one publisher per event so order holds
 * and work is not doubled. If a lease is lost mid-batch, the worst case is a message published
 * twice, which at-least-once delivery allows (consumers dedupe on message_id).
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelayService.name);
  private readonly ownerId = `relay-${randomUUID()}`;
  private running = false;
  private loop?: Promise<void>;
  private failures = 0;
  /** Counters read by the metrics endpoint. */
  readonly stats = { published: 0, errors: 0, lastError: null as string | null };

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly registry: EventRegistry,
    private readonly publisher: KafkaPublisher,
    private readonly tokens: AdmissionTokenService,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** app.close() without the graceful sequence (tests, errors): stop looping, publish nothing more. */
  async onModuleDestroy(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /**
   * Stops the loop after publishing what is waiting, within the time given; what is left stays
   * in Redis for another instance (or this one after a restart).
   */
  async drainAndStop(timeoutMs: number): Promise<void> {
    this.running = false;
    await this.loop;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const moved = await this.passOverAllEvents().catch(() => -1);
      if (moved <= 0) break;
    }
    for (const eventId of await this.registry.ids().catch(() => [] as string[])) {
      await this.outbox.releaseLease(eventId, this.ownerId);
    }
  }

  /** One pass over every event; returns how many messages were published. */
  async passOverAllEvents(): Promise<number> {
    let published = 0;
    for (const eventId of await this.registry.ids()) {
      if (!(await this.outbox.tryLease(eventId, this.ownerId, LEASE_MS))) continue;
      published += await this.relayEvent(eventId);
    }
    return published;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const passStarted = Date.now();
      try {
        await this.passOverAllEvents();
        this.failures = 0;
      } catch (error) {
        this.failures++;
        this.stats.errors++;
        this.stats.lastError = error instanceof Error ? error.message : String(error);
        if (this.failures === 1 || this.failures % 50 === 0) {
          this.logger.warn(`outbox relay: ${this.stats.lastError} (backlog kept in Redis, retrying)`);
        }
      }
      // One pass per interval, however much it published: under a steady stream of joins the
      // entries of one interval go out as one batch instead of many small ones (a batch costs
      // several round trips and a produce request). A backlog does not wait: relayEvent keeps
      // going while full batches come back.
      const wait =
        this.failures === 0
          ? this.env.OUTBOX_RELAY_INTERVAL_MS - (Date.now() - passStarted)
          : Math.min(BACKOFF_MAX_MS, 100 * 2 ** this.failures);
      if (wait > 0) await sleep(wait);
    }
  }

  private async relayEvent(eventId: string): Promise<number> {
    let published = 0;
    // Keep going while full batches come back, renewing the lease as we go.
    for (;;) {
      const entries = await this.outbox.oldest(eventId, this.env.OUTBOX_BATCH_SIZE);
      if (entries.length === 0) return published;
      const records = entries.map((entry) => toOutboxRecord(eventId, entry.fields, this.tokens));
      await this.publisher.publish(records);
      await this.outbox.removeUpTo(eventId, entries[entries.length - 1].id);
      published += entries.length;
      this.stats.published += entries.length;
      if (entries.length < this.env.OUTBOX_BATCH_SIZE || !this.running) return published;
      if (!(await this.outbox.tryLease(eventId, this.ownerId, LEASE_MS))) return published;
    }
  }
}
