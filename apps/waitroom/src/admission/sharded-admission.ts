import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Environment } from '../config/environment';
import { QUIET_EVENT_STEP_MAX_MS } from './quiet-step';
import { QueueRepository } from '../queue/queue.repository';
import {
  AdmissionRepository,
  type AdmissionStepResult,
  type NoEventResult,
  type ShardHead,
} from './admission.repository';

/**
 * How long the admitter's lease of a sharded event lasts without a step: a busy event is stepped
 * every tick, which keeps it; a quiet one lets it go, and whichever instance has work for the
 * event next takes it (with a new epoch).
 */
export const ADMITTER_LEASE_MS = 1000;
/** How fast the admission-rate estimate follows changes (as admission-tick-9.lua's). */
const RATE_ESTIMATE_TAU_SECONDS = 30;
const RATE_ESTIMATE_MAX_GAP_MS = 5000;

/** What one instance remembers of a sharded event it admits (only while it holds the lease). */
interface AdmitterState {
  epoch: number;
  /** Each shard's active count as last read or since raised by this admitter (null: not read in this epoch). */
  active: (number | null)[];
  rateEstimate: number | null;
  lastStepAtMs: number | null;
  /**
   * Per shard, when (local clock) its own step is next due for time-based work (a checkout
   * window ending, an idle timeout): a shard with nobody to admit is not stepped before, so a
   * quiet event's step costs a read per shard.
   */
  dueAt: number[];
  /** Per shard, the rate estimate it was last given (a changed one is given to every shard). */
  rateGiven: (number | null | undefined)[];
}

/** A sharded event's step, as the scheduler takes it. */
export type ShardedStepOutcome =
  /** Another instance admits the event now (or this one lost the lease during the step). */
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
 * Admission of a sharded event (docs/decisions/0023-sharded-events.md): one leased admitter
 * per event merges the heads of every shard's queue, so people are admitted in the event's
 * queue order whichever shard holds them, and counts capacity and rate for the whole event.
 *
 * Each step: take or keep the lease (admission-lease-2.lua: its epoch grows each time it
 * changes hands); read every shard's counts and head (admission-head-5.lua), which fences the
 * shard at this epoch so no earlier admitter can admit there any more; take the event's next
 * `n` people from the merged heads, within free capacity (capacity minus every shard's active
 * count), the batch and the rate's tokens; and let each shard admit its share
 * (admission-tick-9.lua in shard mode: it pops its own head, so a leave in between only lets
 * the next one of that shard go first). Active counts only fall outside the admitter, so a
 * count read before a step never hides a slot taken: capacity holds for the event as a whole.
 * A shard that cannot be read keeps the active count this admitter last knew of it; the others
 * go on. Shard 0 holds the config, the rate's bucket and the lease: without it, nobody is admitted.
 */
@Injectable()
export class ShardedAdmission {
  private readonly logger = new Logger(ShardedAdmission.name);
  private readonly ownerId = `admitter-${process.pid}-${randomBytes(6).toString('hex')}`;
  private readonly states = new Map<string, AdmitterState>();

  constructor(
    private readonly admission: AdmissionRepository,
    private readonly queue: QueueRepository,
    private readonly env: Environment,
  ) {}

  async step(eventId: string, shards: number): Promise<ShardedStepOutcome> {
    const epoch = await this.admission.admitterLease(eventId, this.ownerId, ADMITTER_LEASE_MS);
    if (epoch === 0) {
      this.states.delete(eventId);
      return { kind: 'not-admitter' };
    }
    let state = this.states.get(eventId);
    if (!state || state.epoch !== epoch || state.active.length !== shards) {
      state = {
        epoch,
        active: new Array<number | null>(shards).fill(null),
        rateEstimate: null,
        lastStepAtMs: null,
        dueAt: new Array<number>(shards).fill(0),
        rateGiven: new Array<number | null | undefined>(shards).fill(undefined),
      };
      this.states.set(eventId, state);
    }

    const heads = await Promise.allSettled(
      Array.from({ length: shards }, (_, shard) => this.admission.shardHead(eventId, shard, epoch)),
    );
    if (heads.some((head) => head.status === 'fulfilled' && 'fenced' in head.value))
      return this.lost(eventId);
    const first = heads[0];
    if (first.status === 'rejected') throw first.reason;
    const event = first.value;
    if ('fenced' in event) return this.lost(eventId);
    if ('noEvent' in event) return this.removed(heads);
    if (event.shards !== shards) {
      this.states.delete(eventId);
      return event.shards > 1 ? this.step(eventId, event.shards) : { kind: 'unsharded' };
    }

    // Every shard read: its head for the merge, its active count for capacity.
    const readable: (ShardHead | null)[] = heads.map((head, shard) => {
      if (head.status === 'rejected' || 'fenced' in head.value) return null;
      if ('noEvent' in head.value || head.value.updatedAtMs < event.updatedAtMs) {
        // A copy of the config that failed or fell behind: copied again for the next step.
        this.repairConfigs(eventId);
        if ('noEvent' in head.value) return null;
      }
      state.active[shard] = head.value.activeCount;
      return head.value;
    });
    const moving = event.state === 'open' && !(event.opensAtMs !== null && event.nowMs < event.opensAtMs);
    const activeKnown = state.active.every((count) => count !== null);
    const active = state.active.reduce<number>((sum, count) => sum + (count ?? 0), 0);
    const queued = readable.reduce((sum, head) => sum + (head?.queueLength ?? 0), 0);
    const free = activeKnown ? Math.max(0, event.capacity - active) : 0;
    const tokens = event.tokens === null ? null : Math.floor(event.tokens);
    const take = moving
      ? Math.max(0, Math.min(free, this.env.ADMISSION_BATCH_MAX, tokens ?? Infinity, queued))
      : 0;
    const shares = mergeShares(readable, take);
    const admitting = shares.reduce((sum, share) => sum + share, 0);

    // A shard steps when it admits someone, when its time-based work is due, when it has not had
    // the event's rate estimate, and shard 0 when the rate's bucket is taken from.
    const startedAt = Date.now();
    const stepped = readable.map(
      (head, shard) =>
        head !== null &&
        (shares[shard] > 0 ||
          startedAt >= state.dueAt[shard] ||
          state.rateGiven[shard] !== state.rateEstimate ||
          (shard === 0 && tokens !== null && admitting > 0)),
    );
    const steps = await Promise.allSettled(
      readable.map((_, shard) =>
        !stepped[shard]
          ? Promise.resolve(null)
          : this.admission.shardStep(eventId, shard, {
              epoch,
              admitMost: shares[shard],
              tokensTaken: shard === 0 && tokens !== null ? admitting : 0,
              rateEstimate: state.rateEstimate,
              admittedAtMs: event.nowMs,
            }),
      ),
    );
    const result: AdmissionStepResult = {
      moving,
      expired: 0,
      abandoned: 0,
      admitted: 0,
      queueLength: 0,
      activeCount: 0,
      outboxLength: 0,
      wakeInMs: null,
    };
    const movedShards: number[] = [];
    const idleShards: number[] = [];
    let lost = false;
    steps.forEach((step, shard) => {
      const head = readable[shard];
      if (step.status === 'rejected' || step.value === null || !('moving' in step.value)) {
        if (step.status === 'fulfilled' && step.value !== null && 'fenced' in step.value) lost = true;
        // Not stepped: what was read of it still counts (an admitted count only falls elsewhere).
        if (step.status === 'rejected')
          this.logger.debug(`shard ${shard} of ${eventId}: ${String(step.reason)}`);
        result.queueLength += head?.queueLength ?? 0;
        result.activeCount += state.active[shard] ?? 0;
        result.outboxLength += head?.outboxLength ?? 0;
        if (head && !stepped[shard]) {
          result.wakeInMs = Math.min(
            result.wakeInMs ?? Infinity,
            Math.max(0, state.dueAt[shard] - startedAt),
          );
          if (head.queueLength === 0 && head.activeCount === 0 && head.outboxLength === 0)
            idleShards.push(shard);
        }
        return;
      }
      const shardResult = step.value;
      state.rateGiven[shard] = state.rateEstimate;
      state.dueAt[shard] =
        startedAt + Math.min(shardResult.wakeInMs ?? QUIET_EVENT_STEP_MAX_MS, QUIET_EVENT_STEP_MAX_MS);
      state.active[shard] = shardResult.activeCount;
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
    if (lost) return this.lost(eventId);

    this.learnRate(state, event, result, take, tokens, free, queued);
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

  /** The admission-rate estimate of the whole event, as admission-tick-9.lua learns one shard's. */
  private learnRate(
    state: AdmitterState,
    event: ShardHead,
    result: AdmissionStepResult,
    take: number,
    tokens: number | null,
    free: number,
    queued: number,
  ): void {
    const now = event.nowMs;
    const last = state.lastStepAtMs;
    state.lastStepAtMs = now;
    if (!result.moving || queued === 0) return;
    const rateBound =
      tokens !== null && take === tokens && tokens < Math.min(free, this.env.ADMISSION_BATCH_MAX, queued);
    if (rateBound && event.ratePerMinute !== null) {
      state.rateEstimate = event.ratePerMinute / 60;
      return;
    }
    if (last === null || now <= last || now - last > RATE_ESTIMATE_MAX_GAP_MS) return;
    const seconds = (now - last) / 1000;
    const instant = result.admitted / seconds;
    // Steps that admitted into empty slots (the opening) say nothing about how fast slots free.
    if (result.admitted === 0 && free > 0) return;
    state.rateEstimate =
      state.rateEstimate === null
        ? instant
        : state.rateEstimate +
          (1 - Math.exp(-seconds / RATE_ESTIMATE_TAU_SECONDS)) * (instant - state.rateEstimate);
  }

  private lost(eventId: string): ShardedStepOutcome {
    this.states.delete(eventId);
    return { kind: 'not-admitter' };
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
