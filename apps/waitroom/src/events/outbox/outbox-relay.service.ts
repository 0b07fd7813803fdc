import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Environment } from '../../config/environment';
import { ActiveEvents } from '../../registry/active-events';
import { KafkaPublisher } from './kafka-publisher';
import { toKafkaRecord, type OutboxBatch } from './outbox-messages';
import { OutboxReader } from './outbox-reader';
import { OutboxRepository } from './outbox.repository';

/** An event's relay lease. It is renewed while a batch is in flight, so it outlives any send. */
const LEASE_MS = 5000;
const LEASE_RENEW_EVERY_MS = LEASE_MS / 3;
const BACKOFF_MAX_MS = 2000;
/**
 * How often the relay visits every active event, not only those this instance wrote to: it
 * publishes what an instance that died before its relay's visit left behind.
 */
export const OUTBOX_SWEEP_INTERVAL_MS = 1000;

/**
 * Moves domain events from the Redis outbox streams to Kafka, per event in order, and deletes
 * them only after the broker acknowledged them. While Kafka is down the backlog waits in Redis
 * (bounded by OUTBOX_MAX_BACKLOG, visible as a metric) and flows again when it is back.
 *
 * Every instance runs a relay; a per-event lease keeps one publisher per event so order holds
 * and work is not doubled. If a lease is lost mid-batch, the worst case is a message published
 * twice, which at-least-once delivery allows (consumers dedupe on message_id).
 *
 * Events are isolated from each other: each is relayed by its own task, so a slow send or a
 * failure of one event never delays another, and an entry that cannot be turned into a message
 * (an unknown kind from a newer version, damaged fields) goes to that event's quarantine instead
 * of stopping its outbox. An event is visited when this instance wrote to its outbox (ActiveEvents'
 * work signal: joins, leaves, checkout outcomes, admission steps, operator changes) and, for
 * what other instances left, once every OUTBOX_SWEEP_INTERVAL_MS with the other active events;
 * a quiet event costs one call per sweep, however many people wait in it. A relay releases the
 * event's lease when it has emptied the outbox, so the next instance's entries go out at once.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelayService.name);
  private readonly ownerId = `relay-${randomUUID()}`;
  private running = false;
  private loop?: Promise<void>;
  /** Cuts the loop's pause short when it stops, so stopping never waits out an interval. */
  private readonly stopping = new AbortController();
  private listFailures = 0;
  private lastSweepAt = 0;
  /** Events whose outbox this instance wrote to since their last visit began. */
  private readonly pending = new Set<string>();
  /** The task relaying each event right now. */
  private readonly inFlight = new Map<string, Promise<number>>();
  /** Per event: consecutive failures and when to try again. */
  private readonly backoff = new Map<string, { failures: number; retryAt: number }>();
  /** Counters read by the metrics endpoint. */
  readonly stats = { published: 0, errors: 0, quarantined: 0, lastError: null as string | null };

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly activeEvents: ActiveEvents,
    private readonly publisher: KafkaPublisher,
    private readonly reader: OutboxReader,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap(): void {
    this.activeEvents.onWork((eventId) => this.pending.add(eventId));
    this.running = true;
    this.loop = this.run();
  }

  /** app.close() without the graceful sequence (tests, errors): stop looping, publish nothing more. */
  async onModuleDestroy(): Promise<void> {
    this.stop();
    await this.loop;
    await Promise.allSettled(this.inFlight.values());
  }

  /**
   * Stops the loop after publishing what is waiting, within the time given; what is left stays
   * in Redis for another instance (or this one after a restart).
   */
  async drainAndStop(timeoutMs: number): Promise<void> {
    this.stop();
    await this.loop;
    await Promise.allSettled(this.inFlight.values());
    const deadline = Date.now() + timeoutMs;
    const eventIds = await this.activeEvents.ids().catch(() => [] as string[]);
    while (Date.now() < deadline) {
      const moved = await this.passOverAllEvents(eventIds).catch(() => -1);
      if (moved <= 0) break;
    }
    await Promise.all(eventIds.map((eventId) => this.outbox.releaseLease(eventId, this.ownerId)));
  }

  /** One pass over the given events (default: those with work), waiting for each; returns how many messages were published. */
  async passOverAllEvents(eventIds?: string[]): Promise<number> {
    const ids = eventIds ?? (await this.activeEvents.ids());
    const results = await Promise.all(ids.map((eventId) => this.relayEventOnce(eventId)));
    return results.reduce((sum, published) => sum + published, 0);
  }

  private stop(): void {
    this.running = false;
    this.stopping.abort();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const passStarted = Date.now();
      this.startDueEvents(await this.eventsToVisit(passStarted));
      // One pass per interval, however much it published: under a steady stream of joins the
      // entries of one interval go out as one batch instead of many small ones. A backlog does
      // not wait: an event's task keeps going while full batches come back.
      const wait = this.env.OUTBOX_RELAY_INTERVAL_MS - (Date.now() - passStarted);
      if (wait > 0) await sleep(wait, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
  }

  /**
   * The events written to here since their last visit, and every active one when a sweep is due.
   * A sweep whose list cannot be read (the set of events with work lives on one master of a
   * cluster, which may be away) is tried again after a growing pause, while the events written
   * to here go on being visited.
   */
  private async eventsToVisit(now: number): Promise<Iterable<string>> {
    if (now - this.lastSweepAt < OUTBOX_SWEEP_INTERVAL_MS) return [...this.pending];
    try {
      const active = await this.activeEvents.ids();
      this.lastSweepAt = now;
      this.listFailures = 0;
      return new Set([...this.pending, ...active]);
    } catch (error) {
      this.listFailures++;
      this.noteError(error, this.listFailures);
      const retryIn = Math.min(BACKOFF_MAX_MS, 100 * 2 ** this.listFailures);
      this.lastSweepAt = Date.now() - OUTBOX_SWEEP_INTERVAL_MS + retryIn;
      return [...this.pending];
    }
  }

  /** Starts a task for every event that has none running and is not backing off. */
  private startDueEvents(eventIds: Iterable<string>): void {
    const now = Date.now();
    for (const eventId of eventIds) {
      if (this.inFlight.has(eventId)) continue;
      const backoff = this.backoff.get(eventId);
      if (backoff && backoff.retryAt > now) continue;
      // A write from here on (even during this visit) asks for another visit.
      this.pending.delete(eventId);
      const task = this.relayEventOnce(eventId).finally(() => this.inFlight.delete(eventId));
      this.inFlight.set(eventId, task);
    }
  }

  /**
   * Relays one event if its outbox has entries and this instance gets its lease; never rejects
   * (failures back off that event alone).
   */
  private async relayEventOnce(eventId: string): Promise<number> {
    try {
      const lease = await this.outbox.leaseIfWaiting(eventId, this.ownerId, LEASE_MS);
      // Another instance is publishing this outbox: ours go out after its pass (lease released).
      if (lease === 'taken') this.pending.add(eventId);
      if (lease !== 'held') return 0;
      const published = await this.withLeaseKept(eventId, (held) => this.relayEvent(eventId, held));
      this.backoff.delete(eventId);
      // Published and trimmed: another instance's entries need not wait for this lease to lapse.
      await this.outbox.releaseLease(eventId, this.ownerId);
      return published;
    } catch (error) {
      this.pending.add(eventId);
      const failures = (this.backoff.get(eventId)?.failures ?? 0) + 1;
      this.backoff.set(eventId, {
        failures,
        retryAt: Date.now() + Math.min(BACKOFF_MAX_MS, 100 * 2 ** failures),
      });
      this.noteError(error, failures, eventId);
      return 0;
    }
  }

  /**
   * Runs `work` while renewing the event's lease in the background: a send that takes longer
   * than the lease (a slow broker, kafkajs retries) must not let another instance publish the
   * same entries meanwhile. If a renewal finds the lease taken, `work` stops after its batch.
   */
  private async withLeaseKept<T>(
    eventId: string,
    work: (lease: { held: boolean }) => Promise<T>,
  ): Promise<T> {
    const lease = { held: true };
    const timer = setInterval(() => {
      this.outbox
        .tryLease(eventId, this.ownerId, LEASE_MS)
        .then((held) => {
          if (!held) lease.held = false;
        })
        .catch(() => undefined);
    }, LEASE_RENEW_EVERY_MS);
    try {
      return await work(lease);
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Publishes the event's outbox in batches, oldest first, while full batches come back. The
   * next batch is read and mapped while the broker acknowledges the current one, and published
   * entries are trimmed without waiting (commands on one connection run in order), so the Redis
   * round trips and the mapping overlap the Kafka one. Batches are still sent one at a time: the
   * next goes only after the current one is acknowledged, which keeps the event's order.
   */
  private async relayEvent(eventId: string, lease: { held: boolean }): Promise<number> {
    const batchSize = this.env.OUTBOX_BATCH_SIZE;
    let published = 0;
    let trimmed: Promise<number> | undefined;
    try {
      let batch = await this.readBatch(eventId, null);
      while (batch) {
        // With REDIS_WAIT_REPLICAS, nothing is told that a failover could still take back.
        await this.outbox.confirmReplicated(eventId);
        const sending = this.publisher.publish(
          batch.messages.map((message) => toKafkaRecord(eventId, message)),
        );
        const more = batch.size === batchSize && this.running && lease.held;
        const next = more ? this.readBatch(eventId, batch.lastId) : Promise.resolve(null);
        // Marked handled: if the send fails, the read ahead is dropped unawaited.
        next.catch(() => undefined);
        await sending;
        // Each trim covers every entry below its bound, so only the newest one needs watching.
        trimmed?.catch(() => undefined);
        trimmed = this.outbox.removeUpTo(eventId, batch.lastId);
        published += batch.messages.length;
        this.stats.published += batch.messages.length;
        batch = await next;
      }
    } finally {
      // Not trimmed (Redis failed): the entries are published again on a later pass, which
      // at-least-once delivery allows (consumers dedupe on message_id).
      if (trimmed) await trimmed;
    }
    return published;
  }

  /** The batch after `afterId` (from the oldest when null); its unreadable entries already quarantined. */
  private async readBatch(eventId: string, afterId: string | null): Promise<OutboxBatch | null> {
    const batch = await this.reader.read(eventId, afterId);
    for (const { id, reason } of batch?.unreadable ?? []) {
      await this.outbox.quarantine(eventId, id, reason);
      this.stats.quarantined++;
      this.logger.error(
        `outbox of ${eventId}: entry ${id} cannot be published (${reason}); moved to its quarantine stream`,
      );
    }
    return batch;
  }

  private noteError(error: unknown, failures: number, eventId?: string): void {
    this.stats.errors++;
    this.stats.lastError = error instanceof Error ? error.message : String(error);
    if (failures === 1 || failures % 50 === 0) {
      const where = eventId ? `event ${eventId}` : 'listing events';
      this.logger.warn(`outbox relay, ${where}: ${this.stats.lastError} (backlog kept in Redis, retrying)`);
    }
  }
}
