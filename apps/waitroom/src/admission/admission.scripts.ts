import type { EventState } from '../queue/session';
import type { EventKeys } from '../redis/redis-keys';
import { defineScript, replyArray, replyNumber, UnexpectedScriptReply } from '../redis/script-definition';

export interface AdmissionStepResult {
  /** false when the event was paused, closed or not yet open: nobody was admitted. */
  moving: boolean;
  expired: number;
  abandoned: number;
  admitted: number;
  queueLength: number;
  activeCount: number;
  outboxLength: number;
  /**
   * In how many ms the event next needs a step if nothing else happens (a checkout window ends,
   * an idle timeout runs out, the event opens, the rate's next token); null: nothing time-based.
   */
  wakeInMs: number | null;
}

/** The event has no configuration (removed): only its outbox may still hold messages. */
export interface NoEventResult {
  noEvent: true;
  outboxLength: number;
}

/** A sharded event stepped as one: its admitter must step it (sharded-admission.ts). */
export interface ShardedResult {
  sharded: number;
}

/** A shard's step from an admitter that lost its lease (a newer one fenced the shard). */
export interface FencedResult {
  fenced: true;
}

/** What the admitter of a sharded event tells one shard's step (admission-tick-9.lua ARGV[6..9]). */
export interface ShardStepOrder {
  epoch: number;
  /** Most people this shard admits now. */
  admitMost: number;
  /** The event's admission-rate estimate (people per second), or null. */
  rateEstimate: number | null;
  /** The step's admission instant (shard 0's clock, ms): every shard's admissions carry it. */
  admittedAtMs: number;
}

interface AdmissionStepInput {
  keys: EventKeys;
  batchMax: number;
  retentionSeconds: number;
  /** Prefix of the step's message ids (unique per call; the script numbers them). */
  messageIdPrefix: string;
  /** A shard of a sharded event, stepped by its admitter. */
  shardOrder?: ShardStepOrder;
}

/** admission-tick-9.lua: one atomic admission step for one event. */
export const admissionStepScript = defineScript({
  file: 'admission-tick',
  replicated: true,
  build: ({ keys, ...input }: AdmissionStepInput) => ({
    keys: [
      keys.config,
      keys.queue,
      keys.active,
      keys.heartbeats,
      keys.stats,
      keys.pace,
      keys.outbox,
      keys.flow,
      keys.endedCheckouts,
    ],
    args: [
      keys.sessionPrefix,
      keys.userPrefix,
      input.batchMax,
      input.retentionSeconds,
      input.messageIdPrefix,
      ...(input.shardOrder
        ? [
            input.shardOrder.epoch,
            input.shardOrder.admitMost,
            input.shardOrder.rateEstimate ?? '',
            input.shardOrder.admittedAtMs,
          ]
        : []),
    ],
  }),
  parse: (reply): AdmissionStepResult | NoEventResult | ShardedResult | FencedResult => {
    const [code, ...rest] = replyArray('admission-tick', reply);
    if (code === 'FENCED') return { fenced: true };
    const numbers = rest.map((value) => replyNumber('admission-tick', value));
    if (code === 'NO_EVENT' && numbers.length === 1) return { noEvent: true, outboxLength: numbers[0] };
    if (code === 'SHARDED' && numbers.length === 1) return { sharded: numbers[0] };
    if ((code === 'OK' || code === 'HELD') && numbers.length === 7) {
      const [expired, abandoned, admitted, queueLength, activeCount, outboxLength, wakeIn] = numbers;
      return {
        moving: code === 'OK',
        expired,
        abandoned,
        admitted,
        queueLength,
        activeCount,
        outboxLength,
        wakeInMs: wakeIn < 0 ? null : wakeIn,
      };
    }
    throw new UnexpectedScriptReply('admission-tick', reply);
  },
});

/** One shard as its event's admitter reads it before deciding (admission-head-5.lua). */
export interface ShardHead {
  state: EventState;
  capacity: number;
  ratePerMinute: number | null;
  opensAtMs: number | null;
  /** When shard 0's config was last changed, as this shard's copy has it. */
  updatedAtMs: number;
  shards: number;
  /** Redis's clock in this shard's server. */
  nowMs: number;
  queueLength: number;
  activeCount: number;
  outboxLength: number;
  /** Tokens in the event's rate bucket (shard 0 with a rate); null otherwise. */
  tokens: number | null;
  /** Shard 0: each shard's admitted-count bound as the last step planned it (admission-plan-1.lua); else []. */
  bounds: number[];
  /** Shard 0: the event's admission-rate estimate and when it was learned (Redis ms); else null. */
  rateEstimate: number | null;
  rateEstimateAtMs: number | null;
  /** The scores at the head of the shard's queue, lowest first. */
  headScores: number[];
}

/** admission-head-5.lua: a shard's counts, config copy and head scores, fenced at the admitter's epoch. */
export const admissionHeadScript = defineScript({
  file: 'admission-head',
  replicated: true,
  build: ({ keys, epoch, heads }: { keys: EventKeys; epoch: number; heads: number }) => ({
    keys: [keys.config, keys.queue, keys.active, keys.pace, keys.outbox],
    args: [epoch, heads],
  }),
  parse: (reply): ShardHead | NoEventResult | FencedResult => {
    const [code, ...rest] = replyArray('admission-head', reply);
    if (code === 'FENCED') return { fenced: true };
    if (code === 'NO_EVENT') return { noEvent: true, outboxLength: replyNumber('admission-head', rest[0]) };
    if (code !== 'OK' || rest.length < 14) throw new UnexpectedScriptReply('admission-head', reply);
    const [
      state,
      capacity,
      rate,
      opensAt,
      updatedAt,
      shards,
      now,
      queued,
      active,
      outbox,
      tokens,
      bounds,
      ewma,
      ewmaAt,
      ...scores
    ] = rest;
    const number = (value: unknown) => replyNumber('admission-head', value);
    const optional = (value: unknown) => (value === '' ? null : number(value));
    return {
      state: String(state) as EventState,
      capacity: number(capacity),
      ratePerMinute: optional(rate),
      opensAtMs: optional(opensAt),
      updatedAtMs: number(updatedAt),
      shards: number(shards),
      nowMs: number(now),
      queueLength: number(queued),
      activeCount: number(active),
      outboxLength: number(outbox),
      tokens: optional(tokens),
      bounds: typeof bounds === 'string' && bounds !== '' ? bounds.split(',').map(Number) : [],
      rateEstimate: optional(ewma),
      rateEstimateAtMs: optional(ewmaAt),
      headScores: scores.map(number),
    };
  },
});

/** admission-lock-2.lua: one step's lock of a sharded event; its epoch, or 0 while another instance steps it. */
export const admissionLockScript = defineScript({
  file: 'admission-lock',
  build: ({
    keys,
    ownerId,
    ttlMs,
    give,
  }: {
    keys: EventKeys;
    ownerId: string;
    ttlMs: number;
    give?: boolean;
  }) => ({
    keys: [keys.admissionLock, keys.admissionEpoch],
    args: [ownerId, ttlMs, give ? 'give' : 'take'],
  }),
  parse: (reply): number => replyNumber('admission-lock', reply),
});

/** admission-plan-1.lua: the step's admitted-count bounds per shard and the tokens it takes, in shard 0. */
export const admissionPlanScript = defineScript({
  file: 'admission-plan',
  replicated: true,
  build: (input: {
    keys: EventKeys;
    epoch: number;
    bounds: number[];
    tokensTaken: number;
    ratePerMinute: number | null;
    rateEstimate: number | null;
  }) => ({
    keys: [input.keys.pace],
    args: [
      input.epoch,
      input.bounds.join(','),
      input.tokensTaken,
      input.ratePerMinute ?? '',
      input.rateEstimate ?? '',
    ],
  }),
  parse: (reply): boolean => replyNumber('admission-plan', reply) === 1,
});
