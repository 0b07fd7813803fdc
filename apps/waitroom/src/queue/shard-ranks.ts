import { lowerBound } from '../common/lower-bound';
import { Injectable } from '@nestjs/common';
import { Environment } from '../config/environment';
import { RedisService } from '../redis/redis.service';
import { sequenceCommand, shardRanksScript, type ShardRankSample } from './shards.scripts';

/** Every rank up to this one is sampled: a place near the head is exact. */
export const EXACT_RANKS = 100;
/**
 * Beyond EXACT_RANKS the sampled ranks are this share apart: the people a shard has ahead of a
 * score are overstated by less than this share of them, so a sharded event's positions are
 * within 1% of the exact place (CONTRACT.md).
 */
export const RANK_STEP = 0.01;
/**
 * A sample read this long after a session joined (by the two servers' clocks) holds everyone
 * who joined before it: the margin covers clocks of different masters that differ a little.
 */
const CLOCK_MARGIN_MS = 50;
/** How old the samples behind a join's place may be (a poll's are at most POLL_SNAPSHOT_MS old). */
const JOIN_SAMPLES_MAX_AGE_MS = 1000;
/** Reads one ask waits for at most (each takes IN_FLIGHT_MS and more). */
const MAX_READS_PER_ASK = 5;
/** The time a join takes from its number in shard 0 to its place in its shard, at most in practice. */
const IN_FLIGHT_MS = 20;
/** An event nobody asked about for this long is forgotten. */
const IDLE_MS = 10_000;

/** Every shard's sample of one event, read together (one read of them at a time). */
interface EventSamples {
  samples: ShardRankSample[];
  /** When they were read (local clock; 0: never). */
  loadedAt: number;
  /** The earliest of the shards' read times (each by its server's clock). */
  oldestAtMs: number;
  loading?: Promise<void>;
  lastAskedAt: number;
}

/**
 * The people a sharded event's shards hold ahead of a queue score (docs/decisions/0023-sharded-
 * events.md). A place in a sharded event is the place in its own shard (exact, as for any event:
 * live/queue-flow.ts) plus the people the other shards have ahead of its score. Those come from
 * a sample of each shard's queue at a fixed set of ranks (shard-ranks-1.lua), read at most once
 * per POLL_SNAPSHOT_MS by this instance while its event is asked about, whatever the
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
   * counted), and the people queued in all of them. `joinedAtMs`: when the asking session joined
   * (Redis's clock): a sample read before that cannot hold everyone ahead of it, so one is read
   * after it first.
   */
  async elsewhere(
    eventId: string,
    shard: number,
    shards: number,
    score: number | null,
    joinedAtMs: number,
  ): Promise<Elsewhere> {
    return countElsewhere((await this.fresh(eventId, shards, joinedAtMs)).samples, shard, score);
  }

  /** Every shard's sample at most POLL_SNAPSHOT_MS old, for a join (shard 0's says the event's sequence then). */
  async samples(eventId: string, shards: number): Promise<readonly ShardRankSample[]> {
    // Older samples only make the place told at a join less exact, never too low (every join
    // numbered since them counts as ahead): a join makes do with samples a second old.
    return (await this.fresh(eventId, shards, 0, JOIN_SAMPLES_MAX_AGE_MS)).samples;
  }

  /**
   * A counter of what the other shards add, from every shard's sample fresh now and read after
   * `joinedAtMs` (the latest join among the sessions it counts for): one wait for all of them.
   * It answers null for a session that joined after the samples were read (read it directly).
   */
  async counter(eventId: string, shards: number, joinedAtMs: number): Promise<ElsewhereCounter> {
    const event = await this.fresh(eventId, shards, joinedAtMs);
    const { samples } = event;
    return (shard, score, joined) => (tooOld(event, joined) ? null : countElsewhere(samples, shard, score));
  }

  /**
   * The same as elsewhere() without waiting: null unless the samples are at most two
   * POLL_SNAPSHOT_MS old and read after the session joined (a read is started for the next poll).
   */
  elsewhereNow(
    eventId: string,
    shard: number,
    shards: number,
    score: number | null,
    joinedAtMs: number,
  ): Elsewhere | null {
    const event = this.events.get(eventId);
    const now = Date.now();
    const refresh = () => void this.fresh(eventId, shards, joinedAtMs).catch(() => undefined);
    if (!event || event.samples.length !== shards) {
      refresh();
      return null;
    }
    event.lastAskedAt = now;
    if (now - event.loadedAt > 2 * this.env.POLL_SNAPSHOT_MS || tooOld(event, joinedAtMs)) {
      refresh();
      return null;
    }
    if (now - event.loadedAt >= this.env.POLL_SNAPSHOT_MS) refresh();
    return countElsewhere(event.samples, shard, score);
  }

  /** The event's samples, read first when older than POLL_SNAPSHOT_MS or than `joinedAtMs`. */
  private async fresh(
    eventId: string,
    shards: number,
    joinedAtMs: number,
    maxAgeMs = this.env.POLL_SNAPSHOT_MS,
  ): Promise<EventSamples> {
    const now = Date.now();
    let event = this.events.get(eventId);
    if (!event || event.samples.length !== shards) {
      if (this.events.size > 1000) this.forgetIdle(now);
      event = {
        samples: Array.from({ length: shards }, () => ({
          length: 0,
          atMs: 0,
          sequence: 0,
          ranks: [],
          scores: [],
        })),
        loadedAt: 0,
        oldestAtMs: 0,
        lastAskedAt: now,
      };
      this.events.set(eventId, event);
    }
    event.lastAskedAt = now;
    // A read under way may have started before the session joined, or a read made at once after
    // it may fall within the clocks' margin: then one more, a few times at most.
    for (let reads = 0; reads < MAX_READS_PER_ASK; reads++) {
      if (Date.now() - event.loadedAt < maxAgeMs && !tooOld(event, joinedAtMs)) break;
      await this.load(eventId, event);
    }
    return event;
  }

  /**
   * One read of every shard's sample at a time; concurrent callers share it. The event's join
   * sequence is read IN_FLIGHT_MS before the shards' ranks, so every join numbered up to it had
   * the time to land in its shard (a join takes its number in shard 0, then its place in its own
   * shard) and is in the samples: a join told its place from them counts the joins numbered after
   * it by their number (queue.repository.ts). All shards are read together, so no shard's sample
   * is newer than the sequence of another's.
   */
  private load(eventId: string, event: EventSamples): Promise<void> {
    event.loading ??= (async () => {
      const sequence = await this.redis.run(sequenceCommand, { keys: this.redis.keys.forEvent(eventId) });
      await new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_MS));
      const reads = await Promise.allSettled(
        event.samples.map((_, shard) =>
          this.redis.run(shardRanksScript, {
            keys: this.redis.keys.forShard(eventId, shard),
            exactRanks: EXACT_RANKS,
            step: RANK_STEP,
          }),
        ),
      );
      if (reads[0].status === 'rejected') throw reads[0].reason;
      // A shard whose master is away keeps its last sample: nobody joins it meanwhile, so what it
      // had ahead of anyone only falls; the others' places go on being answered.
      const reached = reads.map((read) => read.status === 'fulfilled');
      const samples = reads.map((read, shard) =>
        read.status === 'fulfilled' ? read.value : event.samples[shard],
      );
      samples[0] = { ...samples[0], sequence };
      event.samples = samples;
      event.loadedAt = Date.now();
      event.oldestAtMs = Math.min(
        ...samples.filter((_, shard) => reached[shard]).map((sample) => sample.atMs),
      );
    })().finally(() => {
      event.loading = undefined;
    });
    return event.loading;
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

/** What the other shards add to a place in one shard, for a session that joined at `joinedAtMs`. */
export type ElsewhereCounter = (shard: number, score: number | null, joinedAtMs: number) => Elsewhere | null;

function tooOld(event: EventSamples, joinedAtMs: number): boolean {
  return joinedAtMs > 0 && event.oldestAtMs < joinedAtMs + CLOCK_MARGIN_MS;
}

function countElsewhere(samples: readonly ShardRankSample[], shard: number, score: number | null): Elsewhere {
  let ahead = 0;
  let queueLength = 0;
  samples.forEach((sample, other) => {
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
  const first = lowerBound(sample.scores, score);
  return first < sample.ranks.length ? sample.ranks[first] : sample.length;
}
