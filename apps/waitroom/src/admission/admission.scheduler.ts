import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Environment } from '../config/environment';
import { ActiveEvents, isIdle, SWEEP_INTERVAL_MS } from '../registry/active-events';
import { ScheduledCloses } from '../registry/scheduled-closes';
import { eventOfScope, shardScope } from '../redis/redis-keys';
import { AdmissionRepository } from './admission.repository';
import type { AdmissionStepResult } from './admission.scripts';
import { ShardedAdmission } from './sharded-admission';

/**
 * A sharded event another instance was stepping when this one tried: tried again at the next
 * tick while work made here waits (for up to this long), else after this long.
 */
export const BUSY_EVENT_RETRY_MS = 1000;

const ADMISSION_INTERVAL_NAME = 'admission-tick';
/**
 * The longest a quiet event (paused, capacity full, nobody joining) goes without a step on an
 * instance: it bounds the delay of a wake-up this instance missed (the work's instance died),
 * and stays under the gap after which admission-tick's rate estimate restarts its measurement.
 */
export const QUIET_EVENT_STEP_MAX_MS = 4000;
/** A wake-up for an event that is not (yet) on the active list is forgotten after this long. */
const WAKE_UP_KEPT_MS = 10_000;

/**
 * Every instance runs this: each tick runs one atomic admission step per event that has work
 * (ActiveEvents: queued, admitted or unpublished) and is due, so closed and finished events cost
 * nothing and quiet ones little. An event is due when its last step said so (the step returns
 * when time alone next changes something: a checkout window ends, an idle timeout runs out, the
 * event opens, the rate's next token), when this instance made work for it (a join, a leave, a
 * checkout outcome, an operator's change: ActiveEvents.onWork), and at least every
 * QUIET_EVENT_STEP_MAX_MS.
 * Capacity and "admitted once" hold because the Lua step is the only place a slot is granted,
 * so several instances ticking at once only share the work. The interval is registered with
 * @nestjs/schedule's registry (the tick length is configuration, which a decorator cannot read),
 * and a tick that is still running makes the next one skip: intervals do not wait.
 * One event's failing step never stops the others'. Each tick also closes the events whose
 * `closes_at` has come (ScheduledCloses), so that happens within one tick of the time.
 */
@Injectable()
export class AdmissionScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdmissionScheduler.name);
  private ticking = false;
  private stopped = false;
  private failures = 0;
  private lastSweepAt = 0;
  private sweeping = false;
  /** Per event: when its next step is due (local clock), as its last step on this instance said. */
  private readonly dueAt = new Map<string, number>();
  /** Events with work made through this instance since their last step began (when it came). */
  private readonly woken = new Map<string, number>();
  /** The events with work as last read (kept while the set cannot be read). */
  private knownActive: string[] = [];
  /** The read of the scheduled closes and the events with work under way, if any. */
  private registryRead?: Promise<unknown>;
  /** Sharded events (their number of shards), stepped by their admitter (sharded-admission.ts). */
  private readonly sharded = new Map<string, number>();
  /** Counters read by the metrics endpoint, summed over this instance's steps. */
  readonly totals = { admitted: 0, expired: 0, abandoned: 0, ticks: 0, skippedTicks: 0, failedSteps: 0 };

  constructor(
    private readonly admission: AdmissionRepository,
    private readonly shardedAdmission: ShardedAdmission,
    private readonly activeEvents: ActiveEvents,
    private readonly scheduledCloses: ScheduledCloses,
    private readonly scheduler: SchedulerRegistry,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap(): void {
    // A shard's work (a sharded event's) is its event's: the event's admitter steps every shard.
    this.activeEvents.onWork((scope) => this.woken.set(eventOfScope(scope), Date.now()));
    this.scheduler.addInterval(
      ADMISSION_INTERVAL_NAME,
      setInterval(() => void this.tick(), this.env.ADMISSION_TICK_MS),
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.scheduler.doesExist('interval', ADMISSION_INTERVAL_NAME))
      this.scheduler.deleteInterval(ADMISSION_INTERVAL_NAME);
  }

  /** One pass over the events with work. Returns false if skipped because the previous one still runs. */
  async tick(): Promise<boolean> {
    if (this.ticking || this.stopped) {
      this.totals.skippedTicks++;
      return false;
    }
    this.ticking = true;
    this.sweepIfDue();
    try {
      // Scheduled closes first, so an event closed now admits nobody in this tick (a sharded
      // one's step copies the closed config to its other shards: sharded-admission.ts). These
      // cross-event keys live on one master of a cluster: while it is away, the events this
      // instance knew of are stepped still, without waiting the command timeout for the read
      // (which lands later; one at a time).
      this.registryRead ??= Promise.allSettled([
        this.scheduledCloses.closeDue(),
        this.activeEvents.eventIds(),
      ])
        .then((settled) => this.takeRegistry(settled))
        .finally(() => {
          this.registryRead = undefined;
        });
      const registryFailure = await Promise.race([
        this.registryRead,
        sleep(this.env.ADMISSION_TICK_MS, null),
      ]);
      const eventIds = this.dueEvents(this.knownActive);
      const steps = await Promise.allSettled(eventIds.map((eventId) => this.stepEvent(eventId)));
      const failed = steps.filter((step): step is PromiseRejectedResult => step.status === 'rejected');
      this.totals.failedSteps += failed.length;
      if (failed.length > 0) throw failed[0].reason;
      if (registryFailure instanceof Error) throw registryFailure;
      if (registryFailure) throw new Error('reading the events with work failed');
      this.totals.ticks++;
      this.failures = 0;
    } catch (error) {
      this.failures++;
      if (this.failures === 1 || this.failures % 100 === 0) {
        this.logger.warn(
          `admission tick failed (${this.failures}x): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    } finally {
      this.ticking = false;
    }
    return true;
  }

  /**
   * Takes in what the registry reads said (events closed now are stepped at once; the events
   * with work); the first failure of them, or null.
   */
  private takeRegistry([closed, active]: [
    PromiseSettledResult<string[]>,
    PromiseSettledResult<string[]>,
  ]): unknown {
    if (closed.status === 'fulfilled')
      for (const eventId of closed.value) this.woken.set(eventId, Date.now());
    if (active.status === 'fulfilled') this.knownActive = active.value;
    if (closed.status === 'rejected') return closed.reason as unknown;
    if (active.status === 'rejected') return active.reason as unknown;
    return null;
  }

  /** The active events due for a step now; forgets what it kept for events no longer active. */
  private dueEvents(activeIds: string[]): string[] {
    const now = Date.now();
    const active = new Set(activeIds);
    for (const eventId of this.dueAt.keys()) if (!active.has(eventId)) this.dueAt.delete(eventId);
    for (const [eventId, at] of this.woken)
      if (!active.has(eventId) && now - at > WAKE_UP_KEPT_MS) this.woken.delete(eventId);
    return activeIds.filter((eventId) => this.woken.has(eventId) || (this.dueAt.get(eventId) ?? 0) <= now);
  }

  private async stepEvent(eventId: string): Promise<void> {
    // Work made from here on wakes the event again, even while this step runs.
    const wokenAt = this.woken.get(eventId);
    this.woken.delete(eventId);
    const shards = this.sharded.get(eventId);
    if (shards !== undefined) return this.stepShardedEvent(eventId, shards, wokenAt);
    let result: Awaited<ReturnType<AdmissionRepository['step']>>;
    try {
      result = await this.admission.step(eventId);
    } catch (error) {
      // Tried again next tick.
      this.woken.set(eventId, Date.now());
      throw error;
    }
    if ('sharded' in result) {
      this.sharded.set(eventId, result.sharded);
      return this.stepShardedEvent(eventId, result.sharded, wokenAt);
    }
    if ('fenced' in result) throw new Error(`admission step of ${eventId}: fenced without an epoch`);
    if ('noEvent' in result) {
      this.dueAt.set(eventId, Date.now() + QUIET_EVENT_STEP_MAX_MS);
      // Removed: the relay still publishes what its outbox holds, then the event is forgotten.
      if (result.outboxLength === 0) await this.activeEvents.retire(eventId);
      return;
    }
    this.tookStep(eventId, result, result.admitted + result.expired + result.abandoned > 0 ? [eventId] : []);
    if (isIdle(result)) await this.activeEvents.retire(eventId);
  }

  /** Counts a step's moves and schedules the event's next; `movedScopes`: whose outbox has news. */
  private tookStep(eventId: string, result: AdmissionStepResult, movedScopes: string[]): void {
    this.totals.admitted += result.admitted;
    this.totals.expired += result.expired;
    this.totals.abandoned += result.abandoned;
    const wakeInMs = Math.min(result.wakeInMs ?? QUIET_EVENT_STEP_MAX_MS, QUIET_EVENT_STEP_MAX_MS);
    this.dueAt.set(eventId, Date.now() + wakeInMs);
    // What the step moved went to the outbox: the relay publishes it now. The note reaches this
    // scheduler too, which must not take its own step for new work (a join during the step
    // already woke it, and stays so).
    if (movedScopes.length > 0) {
      const wokenDuringStep = this.woken.has(eventId);
      for (const scope of movedScopes) this.activeEvents.noteWork(scope);
      if (!wokenDuringStep) this.woken.delete(eventId);
    }
  }

  /**
   * A sharded event's step (sharded-admission.ts). When another instance is taking one right
   * now, this one tries again at the next tick while work it made waits, else a little later.
   */
  private async stepShardedEvent(
    eventId: string,
    shards: number,
    wokenAt: number | undefined,
  ): Promise<void> {
    let outcome: Awaited<ReturnType<ShardedAdmission['step']>>;
    try {
      outcome = await this.shardedAdmission.step(eventId, shards);
    } catch (error) {
      this.woken.set(eventId, wokenAt ?? Date.now());
      throw error;
    }
    const now = Date.now();
    switch (outcome.kind) {
      case 'not-admitter':
        if (wokenAt !== undefined && now - wokenAt < 2 * BUSY_EVENT_RETRY_MS)
          this.woken.set(eventId, wokenAt);
        else this.dueAt.set(eventId, now + BUSY_EVENT_RETRY_MS);
        return;
      case 'unsharded':
        this.sharded.delete(eventId);
        this.woken.set(eventId, now);
        return;
      case 'removed':
        this.dueAt.set(eventId, now + QUIET_EVENT_STEP_MAX_MS);
        for (const shard of outcome.idleScopes)
          if (shard > 0) await this.activeEvents.retire(shardScope(eventId, shard));
        if (outcome.outboxLength === 0) {
          this.sharded.delete(eventId);
          await this.activeEvents.retire(eventId);
        }
        return;
      case 'stepped': {
        const { result } = outcome;
        this.tookStep(
          eventId,
          result,
          outcome.movedShards.map((shard) => shardScope(eventId, shard)),
        );
        for (const shard of outcome.idleShards)
          if (shard > 0) await this.activeEvents.retire(shardScope(eventId, shard));
        if (isIdle(result)) await this.activeEvents.retire(eventId);
      }
    }
  }

  /** Starts the registry sweep (ActiveEvents.sweep) in the background when it is due. */
  private sweepIfDue(): void {
    const now = Date.now();
    if (this.sweeping || now - this.lastSweepAt < SWEEP_INTERVAL_MS) return;
    this.sweeping = true;
    this.lastSweepAt = now;
    this.activeEvents
      .sweep()
      .then((marked) => {
        if (marked) this.logger.log(`sweep: ${marked} event(s) with work were not marked active; marked now`);
      })
      .catch((error: unknown) =>
        this.logger.warn(`sweep failed: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => {
        this.sweeping = false;
      });
  }
}
