import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Environment } from '../config/environment';
import { QueueRepository } from '../queue/queue.repository';
import {
  AdmissionRepository,
  type AdmissionStepResult,
  type NoEventResult,
  type ShardHead,
} from './admission.repository';

/**
 * How long a step's lock lasts at most: longer than a step can take (two rounds of reads, each
 * bounded by the Redis command timeout), so a live step never loses it; a step of a process that
 * died is given up after it.
 */
export function stepLockMs(commandTimeoutMs: number): number {
  return 3 * commandTimeoutMs + 1000;
}
/** A step's figures before any shard's are added; a step that did nothing. */
const EMPTY_STEP: AdmissionStepResult = {
  moving: false,
  expired: 0,
  abandoned: 0,
  admitted: 0,
  queueLength: 0,
  activeCount: 0,
  outboxLength: 0,
  wakeInMs: null,
};
/** How long a shard whose read failed is left alone (by this instance) before it is read again. */
const SHARD_AWAY_MS = 2000;
/** How fast the admission-rate estimate follows changes (as admission-tick-9.lua's). */
const RATE_ESTIMATE_TAU_SECONDS = 30;
const RATE_ESTIMATE_MAX_GAP_MS = 5000;

/**
 * A shard's last step here (admission-tick-9.lua): what it left, compared with each later read.
 * A shard read as it was left, with nothing due and the rate estimate it was given, needs no
 * step: a join, a leave, a checkout outcome or an operator's change, made through any instance,
 * shows in the read (counts, config), and the step then says when its new time-based work is due.
 */
interface ShardLastStep {
  /**
   * When (local clock) its time-based work is next due (a checkout window ending, an idle
   * timeout); Infinity: none, as the step said.
   */
  dueAt: number;
  /** The event's rate estimate it was given. */
  rateGiven: number | null;
  queueLength: number;
  activeCount: number;
  /** Shard 0's config change the shard's copy had then. */
  updatedAtMs: number;
}

/** What one instance remembers of a sharded event it steps (for its own cost only; the truth is in Redis). */
interface StepMemory {
  /**
   * Per shard, its last step here (none yet: it is stepped). A shard with nobody to admit is
   * stepped only when that step is outdated (ShardLastStep), so a quiet event's step costs a read
   * per shard.
   */
  lastSteps: (ShardLastStep | undefined)[];
  /** Per shard, until when (local clock) it is not read: its last read failed (its master away). */
  awayUntil: number[];
  /**
   * Whether the event admitted at its last step here: a paused, closed or not yet open event's
   * step reads no head scores (only its counts), until a step finds it moving again.
   */
  moving: boolean;
}

/** A sharded event's step, as the scheduler takes it. */
export type ShardedStepOutcome =
  /** Another instance is stepping the event (or a newer step overtook this one): nobody admitted here. */
  | { kind: 'not-admitter' }
  /** The event is gone (removed): its shards' outboxes may still hold messages. */
  | { kind: 'removed'; outboxLength: number; idleScopes: number[] }
  /** The event has one shard now (only before anybody joined): the plain step takes it. */
  | { kind: 'unsharded' }
  | {
      kind: 'stepped';
      /** The whole event's figures, summed over its shards. */
      result: AdmissionStepResult;
      /** Shards whose step moved somebody (their outbox has news). */
      movedShards: number[];
      /** Shards with nothing queued, admitted or unpublished. */
      idleShards: number[];
    };

/**
 * Admission of a sharded event (docs/decisions/0023-sharded-events.md): one step at a time per
 * event merges the heads of every shard's queue, so people are admitted in the event's queue
 * order whichever shard holds them, and counts capacity and rate for the whole event. Any
 * instance with work for the event takes the step, as for an unsharded event.
 *
 * A step: take the event's step lock (admission-lock-2.lua), whose epoch grows with every step;
 * read every shard's counts and head (admission-head-5.lua), which fences the shard at this
 * epoch, so no earlier step can admit there any more; take the event's next `n` people from the
 * merged heads, within free capacity (capacity minus every shard's admitted count), the batch
 * and the rate's tokens; write the plan in shard 0 (admission-plan-1.lua: each shard's admitted
 * count once the step is done, at most, and the tokens taken), then let each shard admit its
 * share (admission-tick-9.lua in shard mode: it pops its own head, so a leave in between only
 * lets the next one of that shard go first); give the lock back. Admitted counts only fall
 * outside a step, so a count read before one never hides a slot taken, and a shard that cannot
 * be read (its master away) counts with the bound the last plan wrote for it: capacity holds
 * for the event as a whole while the other shards go on. Shard 0 holds the config, the rate's
 * bucket, the plan and the lock: without it, nobody is admitted.
 */
@Injectable()
export class ShardedAdmission {
  private readonly logger = new Logger(ShardedAdmission.name);
  private readonly ownerId = `admitter-${process.pid}-${randomBytes(6).toString('hex')}`;
  private readonly memory = new Map<string, StepMemory>();

  constructor(
    private readonly admission: AdmissionRepository,
    private readonly queue: QueueRepository,
    private readonly env: Environment,
  ) {}

  async step(eventId: string, shards: number): Promise<ShardedStepOutcome> {
    const epoch = await this.admission.takeStepLock(
      eventId,
      this.ownerId,
      stepLockMs(this.env.REDIS_COMMAND_TIMEOUT_MS),
    );
    if (epoch === 0) return { kind: 'not-admitter' };
    try {
      return await this.stepLocked(eventId, shards, epoch);
    } finally {
      await this.admission.giveStepLock(eventId, this.ownerId).catch(() => undefined);
    }
  }

  private async stepLocked(eventId: string, shards: number, epoch: number): Promise<ShardedStepOutcome> {
    let memory = this.memory.get(eventId);
    if (!memory || memory.lastSteps.length !== shards) {
      if (this.memory.size > 10_000) this.memory.clear();
      memory = {
        lastSteps: new Array<ShardLastStep | undefined>(shards).fill(undefined),
        awayUntil: new Array<number>(shards).fill(0),
        moving: true,
      };
      this.memory.set(eventId, memory);
    }
    const state = memory;

    // A shard that could not be read is left alone for a while (its master is away): each step
    // would otherwise wait the command timeout for it, and the others' admissions with it.
    const readAt = Date.now();
    const heads = await Promise.allSettled(
      Array.from({ length: shards }, (_, shard) =>
        shard > 0 && readAt < state.awayUntil[shard]
          ? Promise.reject(new Error(`shard ${shard} of ${eventId} is away`))
          : this.admission.shardHead(eventId, shard, epoch, state.moving ? this.env.ADMISSION_BATCH_MAX : 0),
      ),
    );
    heads.forEach((head, shard) => {
      if (head.status === 'rejected' && readAt >= state.awayUntil[shard])
        state.awayUntil[shard] = Date.now() + SHARD_AWAY_MS;
    });
    if (heads.some((head) => head.status === 'fulfilled' && 'fenced' in head.value))
      return { kind: 'not-admitter' };
    const first = heads[0];
    if (first.status === 'rejected') throw first.reason;
    const event = first.value;
    if ('fenced' in event) return { kind: 'not-admitter' };
    if ('noEvent' in event) return this.removed(heads);
    if (event.shards !== shards) {
      this.memory.delete(eventId);
      return event.shards > 1 ? this.stepLocked(eventId, event.shards, epoch) : { kind: 'unsharded' };
    }

    // Every shard read: its head for the merge, its admitted count for capacity; one not read
    // counts with the bound the last step's plan wrote for it (none yet: nobody is admitted).
    const readable: (ShardHead | null)[] = heads.map((head) => {
      if (head.status === 'rejected' || 'fenced' in head.value) return null;
      if ('noEvent' in head.value || head.value.updatedAtMs < event.updatedAtMs) {
        // A copy of the config that failed or fell behind: copied again for the next step.
        this.repairConfigs(eventId);
        if ('noEvent' in head.value) return null;
      }
      return head.value;
    });
    const counted = readable.map((head, shard) => head?.activeCount ?? event.bounds[shard] ?? null);
    const moving = event.state === 'open' && !(event.opensAtMs !== null && event.nowMs < event.opensAtMs);
    if (moving && !state.moving) {
      // Moving again since the last step (opened, resumed): the next step reads the heads at once.
      state.moving = true;
      return {
        kind: 'stepped',
        result: { ...EMPTY_STEP, moving: true, wakeInMs: 0 },
        movedShards: [],
        idleShards: [],
      };
    }
    state.moving = moving;
    const active = counted.reduce<number>((sum, count) => sum + (count ?? 0), 0);
    const queued = readable.reduce((sum, head) => sum + (head?.queueLength ?? 0), 0);
    const free = counted.every((count) => count !== null) ? Math.max(0, event.capacity - active) : 0;
    const tokens = event.tokens === null ? null : Math.floor(event.tokens);
    const take = moving
      ? Math.max(0, Math.min(free, this.env.ADMISSION_BATCH_MAX, tokens ?? Infinity, queued))
      : 0;
    const shares = mergeShares(readable, take);
    const admitting = shares.reduce((sum, share) => sum + share, 0);
    const rateEstimate = this.learnRate(event, take, tokens, free, queued, moving);

    // The plan before any shard admits: what each shard holds at most once this step is done.
    // A step of a paused (closed, not yet open) event that would write the plan already there
    // writes nothing: it admits nobody and learns no rate.
    const bounds = counted.map((count, shard) => (count ?? 0) + shares[shard]);
    const planUnchanged =
      !moving &&
      admitting === 0 &&
      rateEstimate === event.rateEstimate &&
      bounds.length === event.bounds.length &&
      bounds.every((bound, shard) => bound === event.bounds[shard]);
    if (counted.every((count) => count !== null) && !planUnchanged) {
      const planned = await this.admission.plan(eventId, epoch, {
        bounds,
        tokensTaken: admitting,
        ratePerMinute: event.ratePerMinute,
        rateEstimate,
      });
      if (!planned) return { kind: 'not-admitter' };
    }

    // A shard steps when it admits someone, or when its last step here is outdated: its
    // time-based work is due, it changed since, or the event's rate estimate did.
    const startedAt = Date.now();
    const outdated = (last: ShardLastStep | undefined, head: ShardHead) =>
      last === undefined ||
      startedAt >= last.dueAt ||
      last.rateGiven !== rateEstimate ||
      last.queueLength !== head.queueLength ||
      last.activeCount !== head.activeCount ||
      last.updatedAtMs !== head.updatedAtMs;
    const stepped = readable.map(
      (head, shard) => head !== null && (shares[shard] > 0 || outdated(state.lastSteps[shard], head)),
    );
    const steps = await Promise.allSettled(
      readable.map((_, shard) =>
        !stepped[shard]
          ? Promise.resolve(null)
          : this.admission.shardStep(eventId, shard, {
              epoch,
              admitMost: shares[shard],
              rateEstimate,
              admittedAtMs: event.nowMs,
            }),
      ),
    );
    const result: AdmissionStepResult = { ...EMPTY_STEP, moving };
    const movedShards: number[] = [];
    const idleShards: number[] = [];
    let overtaken = false;
    steps.forEach((step, shard) => {
      const head = readable[shard];
      if (step.status === 'rejected' || step.value === null || !('moving' in step.value)) {
        if (step.status === 'fulfilled' && step.value !== null && 'fenced' in step.value) overtaken = true;
        // Not stepped: what was read of it still counts.
        if (step.status === 'rejected')
          this.logger.debug(`shard ${shard} of ${eventId}: ${String(step.reason)}`);
        result.queueLength += head?.queueLength ?? 0;
        result.activeCount += counted[shard] ?? 0;
        result.outboxLength += head?.outboxLength ?? 0;
        const dueAt = state.lastSteps[shard]?.dueAt ?? Infinity;
        if (head && !stepped[shard]) {
          if (Number.isFinite(dueAt))
            result.wakeInMs = Math.min(result.wakeInMs ?? Infinity, Math.max(0, dueAt - startedAt));
          if (head.queueLength === 0 && head.activeCount === 0 && head.outboxLength === 0)
            idleShards.push(shard);
        }
        return;
      }
      const shardResult = step.value;
      state.lastSteps[shard] = {
        dueAt: shardResult.wakeInMs === null ? Infinity : startedAt + shardResult.wakeInMs,
        rateGiven: rateEstimate,
        queueLength: shardResult.queueLength,
        activeCount: shardResult.activeCount,
        updatedAtMs: readable[shard]!.updatedAtMs,
      };
      result.expired += shardResult.expired;
      result.abandoned += shardResult.abandoned;
      result.admitted += shardResult.admitted;
      result.queueLength += shardResult.queueLength;
      result.activeCount += shardResult.activeCount;
      result.outboxLength += shardResult.outboxLength;
      if (shardResult.wakeInMs !== null)
        result.wakeInMs = Math.min(result.wakeInMs ?? Infinity, shardResult.wakeInMs);
      if (shardResult.admitted + shardResult.expired + shardResult.abandoned > 0) movedShards.push(shard);
      if (shardResult.queueLength === 0 && shardResult.activeCount === 0 && shardResult.outboxLength === 0)
        idleShards.push(shard);
    });
    if (overtaken) return { kind: 'not-admitter' };

    // Someone still queued with a free slot: the next step at once, or at the rate's next token.
    if (moving && result.queueLength > 0 && result.activeCount < event.capacity) {
      if (tokens === null || event.ratePerMinute === null || result.admitted === this.env.ADMISSION_BATCH_MAX)
        result.wakeInMs = 0;
      else {
        const tokensLeft = (event.tokens ?? 0) - admitting;
        const wait = Math.max(0, 1 - tokensLeft) * (60_000 / event.ratePerMinute);
        result.wakeInMs = Math.min(result.wakeInMs ?? Infinity, wait);
      }
    }
    if (!moving && event.state === 'open' && event.opensAtMs !== null)
      result.wakeInMs = Math.min(result.wakeInMs ?? Infinity, Math.max(0, event.opensAtMs - event.nowMs));
    return { kind: 'stepped', result, movedShards, idleShards };
  }

  /**
   * The event's admission-rate estimate after this step, as admission-tick-9.lua learns one
   * event's: the configured rate when the rate bounds the step, else a moving average of the
   * people admitted per second (the previous estimate and its time are shard 0's, whichever
   * instance took the steps before). Unchanged while nobody moves or waits.
   */
  private learnRate(
    event: ShardHead,
    take: number,
    tokens: number | null,
    free: number,
    queued: number,
    moving: boolean,
  ): number | null {
    const before = event.rateEstimate;
    if (!moving || queued === 0) return before;
    const rateBound =
      tokens !== null && take === tokens && tokens < Math.min(free, this.env.ADMISSION_BATCH_MAX, queued);
    if (rateBound && event.ratePerMinute !== null) return event.ratePerMinute / 60;
    const last = event.rateEstimateAtMs;
    if (last === null || event.nowMs <= last || event.nowMs - last > RATE_ESTIMATE_MAX_GAP_MS) return before;
    // Steps that admit into empty slots (the opening) say nothing about how fast slots free.
    if (take === 0 && free > 0) return before;
    const seconds = (event.nowMs - last) / 1000;
    const instant = take / seconds;
    return before === null
      ? instant
      : before + (1 - Math.exp(-seconds / RATE_ESTIMATE_TAU_SECONDS)) * (instant - before);
  }

  private removed(
    heads: PromiseSettledResult<ShardHead | NoEventResult | { fenced: true }>[],
  ): ShardedStepOutcome {
    let outboxLength = 0;
    const idleScopes: number[] = [];
    heads.forEach((head, shard) => {
      if (head.status !== 'fulfilled') return;
      const length = 'outboxLength' in head.value ? head.value.outboxLength : 0;
      outboxLength += length;
      if ('noEvent' in head.value && length === 0) idleScopes.push(shard);
    });
    return { kind: 'removed', outboxLength, idleScopes };
  }

  private repairConfigs(eventId: string): void {
    this.queue
      .repairShardConfigs(eventId)
      .catch((error: unknown) =>
        this.logger.debug(
          `config copies of ${eventId}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
  }
}

/**
 * How many of the event's next `take` people each shard holds: the `take` lowest scores over
 * every readable shard's head (each head is its shard's lowest scores, so the merge of the heads
 * is the event's head). A shard not read (null) gets none.
 */
export function mergeShares(
  heads: readonly (Pick<ShardHead, 'headScores'> | null)[],
  take: number,
): number[] {
  const shares = heads.map(() => 0);
  const next = heads.map(() => 0);
  for (let taken = 0; taken < take; taken++) {
    let best = -1;
    heads.forEach((head, shard) => {
      const score = head?.headScores[next[shard]];
      if (score === undefined) return;
      if (best < 0 || score < heads[best]!.headScores[next[best]]) best = shard;
    });
    if (best < 0) break;
    shares[best]++;
    next[best]++;
  }
  return shares;
}
