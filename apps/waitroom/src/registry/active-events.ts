import { Injectable } from '@nestjs/common';
import { EventRegistry } from './event-registry';
import { Leases } from '../redis/lease';
import { RedisService } from '../redis/redis.service';
import { eventOfScope, shardScopes } from '../redis/redis-keys';
import {
  activeEventIdsCommand,
  eventWorkScript,
  retireScript,
  touchScript,
  type EventWork,
} from './registry.scripts';

/** An instance marks an event at most this often: one write per event per second, not per request. */
const TOUCH_INTERVAL_MS = 1000;
/**
 * An idle event leaves the active set only if nobody marked it for this long. It must exceed
 * TOUCH_INTERVAL_MS by a wide margin: an instance that skips a mark because it marked the event
 * less than TOUCH_INTERVAL_MS ago relies on that mark keeping the event in the set.
 */
export const RETIRE_GRACE_MS = 10_000;
/** How long one instance holds the sweep (and so how often the sweep runs, cluster-wide). */
export const SWEEP_INTERVAL_MS = 30_000;
/** Events checked at once by the sweep. */
const SWEEP_CONCURRENCY = 50;

/** True when an event needs no visit: nothing queued, admitted, or waiting to be published. */
export function isIdle(work: Pick<EventWork, 'queueLength' | 'activeCount' | 'outboxLength'>): boolean {
  return work.queueLength === 0 && work.activeCount === 0 && work.outboxLength === 0;
}

/**
 * The events that have work, so that periodic visitors (admission step, outbox relay) cost
 * nothing for the ones that have none: closed, finished or never used events, however many.
 *
 * - Whoever creates work marks the event (touch) after its state change committed: a join, a
 *   leave, a checkout outcome, an operator's change. Marks are throttled per instance.
 * - A visitor that finds an event idle retires it, but only if nobody marked it within
 *   RETIRE_GRACE_MS. A join racing with the retirement either marked the event after the
 *   visitor looked (so the retirement is refused, or the mark puts it back), or relies on a
 *   mark of its own instance younger than TOUCH_INTERVAL_MS, which the grace keeps.
 * - A sweep over the registry, by one instance every SWEEP_INTERVAL_MS, marks events whose work
 *   no mark announced (a mark that failed after its state change, data written by an older
 *   version): a missed mark delays that event's visits by at most one sweep, it never loses work.
 *
 * The set is one cross-event key, written by its own scripts, so it works on a Redis Cluster.
 */
/** Told of an event with new work made through this instance (see ActiveEvents.onWork). */
export type WorkListener = (eventId: string) => void;

@Injectable()
export class ActiveEvents {
  /** When this instance last marked each event (local clock), for throttling. */
  private readonly markedAt = new Map<string, number>();
  private readonly workListeners: WorkListener[] = [];
  private readonly ownerId = `sweep-${process.pid}-${Math.random().toString(36).slice(2)}`;

  constructor(
    private readonly redis: RedisService,
    private readonly registry: EventRegistry,
    private readonly leases: Leases,
  ) {}

  /**
   * Subscribes a visitor (the outbox relay, the admission scheduler) to the work this instance
   * creates, so it visits that event at once instead of visiting every active event every
   * interval. Work made elsewhere reaches the instance that made it; each visitor still passes
   * over every active event now and then, for the work whose instance died before its visit.
   */
  onWork(listener: WorkListener): void {
    this.workListeners.push(listener);
  }

  /** Tells this instance's visitors that an event has new work (no Redis call; touch() does it too). */
  noteWork(eventId: string): void {
    for (const listener of this.workListeners) listener(eventId);
  }

  /** Marks an event as having work; `force` skips the throttle (operator actions, the sweep). */
  async touch(eventId: string, force = false): Promise<void> {
    this.noteWork(eventId);
    const now = Date.now();
    const last = this.markedAt.get(eventId);
    if (!force && last !== undefined && now - last < TOUCH_INTERVAL_MS) return;
    await this.redis.run(touchScript, { activeEventsKey: this.redis.keys.activeEvents, eventId });
    this.markedAt.set(eventId, now);
    if (this.markedAt.size > 10_000) this.forgetOldMarks(now);
  }

  /** Marks an event, never failing: the sweep repairs a mark that could not be written. */
  touchSoon(eventId: string): void {
    this.touch(eventId).catch(() => undefined);
  }

  /**
   * The entries that have (or recently had) work: event ids, and each shard of a sharded event
   * as a scope of its own (`event#i`: its outbox is relayed on its own).
   */
  async ids(): Promise<string[]> {
    return this.redis.run(activeEventIdsCommand, { activeEventsKey: this.redis.keys.activeEvents });
  }

  /** The events that have (or recently had) work, each once, whichever of its shards has it. */
  async eventIds(): Promise<string[]> {
    return [...new Set((await this.ids()).map(eventOfScope))];
  }

  /** Called by a visitor that found the event idle; true if it left the set. */
  async retire(eventId: string): Promise<boolean> {
    return this.redis.run(retireScript, {
      activeEventsKey: this.redis.keys.activeEvents,
      eventId,
      graceMs: RETIRE_GRACE_MS,
    });
  }

  /**
   * One pass over the registry by whichever instance holds the sweep lease: every event with
   * work that is not in the set is marked. Returns how many were marked (null: another instance
   * sweeps this period).
   */
  async sweep(): Promise<number | null> {
    if (!(await this.leases.acquire(this.redis.keys.activeEventsSweepLease, this.ownerId, SWEEP_INTERVAL_MS)))
      return null;
    const [registered, active] = await Promise.all([this.registry.ids(), this.ids()]);
    const known = new Set(active);
    const unvisited = registered.filter((eventId) => !known.has(eventId));
    let marked = 0;
    for (let i = 0; i < unvisited.length; i += SWEEP_CONCURRENCY) {
      await Promise.all(
        unvisited.slice(i, i + SWEEP_CONCURRENCY).map(async (eventId) => {
          const work = await this.redis.run(eventWorkScript, this.redis.keys.forEvent(eventId));
          // A sharded event's other shards have outboxes and queues of their own.
          const scopes = shardScopes(eventId, work.shards).slice(1);
          const shardWork = await Promise.all(
            scopes.map((scope) => this.redis.run(eventWorkScript, this.redis.keys.forEvent(scope))),
          );
          if ([work, ...shardWork].every(isIdle)) return;
          await this.touch(eventId, true);
          for (const [index, scope] of scopes.entries())
            if (!isIdle(shardWork[index])) await this.touch(scope, true);
          marked++;
        }),
      );
    }
    return marked;
  }

  private forgetOldMarks(now: number): void {
    for (const [eventId, at] of this.markedAt)
      if (now - at >= TOUCH_INTERVAL_MS) this.markedAt.delete(eventId);
  }
}
