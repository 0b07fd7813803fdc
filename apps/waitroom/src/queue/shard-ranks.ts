import { Injectable } from '@nestjs/common';
import { Environment } from '../config/environment';
import { RedisService } from '../redis/redis.service';
import { shardRanksScript, type ShardRankSample } from './shards.scripts';

/** Every rank up to this one is sampled: a place near the head is exact. */
export const EXACT_RANKS = 100;
/**
 * Beyond EXACT_RANKS the sampled ranks are this share apart: the people a shard has ahead of a
 * score are overstated by less than this share of them, so a sharded event's positions are
 * within 1% of the exact place (CONTRACT.md).
 */
export const RANK_STEP = 0.01;
/** An event nobody asked about for this long is forgotten. */
const IDLE_MS = 10_000;

interface ShardSample {
  sample: ShardRankSample;
  loadedAt: number;
  loading?: Promise<void>;
}

interface EventSamples {
  shards: ShardSample[];
  lastAskedAt: number;
}

/**
 * The people a sharded event's shards hold ahead of a queue score (docs/decisions/0023-sharded-
 * events.md). A place in a sharded event is the place in its own shard (exact, as for any event:
 * live/queue-flow.ts) plus the people the other shards have ahead of its score. Those come from
 * a sample of each shard's queue at a fixed set of ranks (shard-ranks-1.lua), read at most once
 * per POLL_SNAPSHOT_MS per shard by this instance while its event is asked about, whatever the
 * number of people asking: the first sampled rank whose score is not below the person's is never
 * below the true count, never rises while the queue ahead only shrinks, and is within RANK_STEP
 * of it. Nothing is read for an event nobody asks about.
 */
@Injectable()
export class ShardRanks {
  private readonly events = new Map<string, EventSamples>();

  constructor(
    private readonly redis: RedisService,
    private readonly env: Environment,
  ) {}

  /**
   * The people queued ahead of `score` in every shard of the event but `shard` (null score: none
   * counted), and the people queued in all of them.
   */
  async elsewhere(eventId: string, shard: number, shards: number, score: number | null): Promise<Elsewhere> {
    return countElsewhere(await this.fresh(eventId, shards), shard, score);
  }

  /** A counter of what the other shards add, from every shard's sample fresh now (one wait for all). */
  async counter(
    eventId: string,
    shards: number,
  ): Promise<(shard: number, score: number | null) => Elsewhere> {
    const samples = await this.fresh(eventId, shards);
    return (shard, score) => countElsewhere(samples, shard, score);
  }

  /**
   * The same without waiting: null unless every shard's sample is at most two POLL_SNAPSHOT_MS
   * old (a read is started for those that are not, for the next poll).
   */
  elsewhereNow(eventId: string, shard: number, shards: number, score: number | null): Elsewhere | null {
    const event = this.events.get(eventId);
    const now = Date.now();
    if (!event || event.shards.length !== shards) {
      void this.fresh(eventId, shards).catch(() => undefined);
      return null;
    }
    event.lastAskedAt = now;
    if (event.shards.some((entry) => now - entry.loadedAt > 2 * this.env.POLL_SNAPSHOT_MS)) {
      void this.fresh(eventId, shards).catch(() => undefined);
      return null;
    }
    if (event.shards.some((entry) => now - entry.loadedAt >= this.env.POLL_SNAPSHOT_MS))
      void this.fresh(eventId, shards).catch(() => undefined);
    return countElsewhere(event.shards, shard, score);
  }

  /** Every shard's sample, read first where it is older than POLL_SNAPSHOT_MS. */
  private async fresh(eventId: string, shards: number): Promise<ShardSample[]> {
    const now = Date.now();
    let event = this.events.get(eventId);
    if (!event || event.shards.length !== shards) {
      if (this.events.size > 1000) this.forgetIdle(now);
      event = {
        shards: Array.from({ length: shards }, () => ({
          sample: { length: 0, ranks: [], scores: [] },
          loadedAt: 0,
        })),
        lastAskedAt: now,
      };
      this.events.set(eventId, event);
    }
    event.lastAskedAt = now;
    await Promise.all(
      event.shards.map((entry, shard) => {
        if (now - entry.loadedAt < this.env.POLL_SNAPSHOT_MS) return Promise.resolve();
        entry.loading ??= this.redis
          .run(shardRanksScript, {
            keys: this.redis.keys.forShard(eventId, shard),
            exactRanks: EXACT_RANKS,
            step: RANK_STEP,
          })
          .then((sample) => {
            entry.sample = sample;
            entry.loadedAt = Date.now();
          })
          .finally(() => {
            entry.loading = undefined;
          });
        return entry.loading;
      }),
    );
    return event.shards;
  }

  private forgetIdle(now: number): void {
    for (const [eventId, event] of this.events)
      if (now - event.lastAskedAt > IDLE_MS) this.events.delete(eventId);
  }
}

/** What the other shards of a sharded event add to a place, and the event's queue length. */
export interface Elsewhere {
  ahead: number;
  queueLength: number;
}

function countElsewhere(samples: ShardSample[], shard: number, score: number | null): Elsewhere {
  let ahead = 0;
  let queueLength = 0;
  samples.forEach(({ sample }, other) => {
    queueLength += sample.length;
    if (other !== shard && score !== null) ahead += aheadOf(sample, score);
  });
  return { ahead, queueLength };
}

/**
 * The people of one shard's sample ahead of `score`: the first sampled rank whose score is not
 * below it (everyone before that rank is ahead, and nobody from it on), else the whole queue.
 */
export function aheadOf(sample: ShardRankSample, score: number): number {
  let low = 0;
  let high = sample.scores.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sample.scores[middle] < score) low = middle + 1;
    else high = middle;
  }
  return low < sample.ranks.length ? sample.ranks[low] : sample.length;
}
