import { Injectable } from '@nestjs/common';
import { Leases } from '../redis/lease';
import { RedisService } from '../redis/redis.service';
import {
  historyReadScript,
  historySampleScript,
  historyShardCountsScript,
  type HistoryReadReply,
} from './history.scripts';

/** How far back an event's history reaches: what the dashboard can show, and all Redis keeps. */
export const HISTORY_WINDOW_MS = 3_600_000;

/**
 * Events' history in Redis: one capped stream per event (EventKeys.history, in the event's slot),
 * written by one atomic script per sample and read by another.
 */
@Injectable()
export class HistoryRepository {
  constructor(
    private readonly redis: RedisService,
    private readonly leases: Leases,
  ) {}

  /**
   * Appends one sample of the event's counts and totals; false if the event does not exist. A
   * sharded event's sample is the sum over its shards, kept in its shard 0's stream.
   */
  async sample(eventId: string): Promise<boolean> {
    const keys = this.redis.keys.forEvent(eventId);
    const sampled = await this.redis.run(historySampleScript, { keys, windowMs: HISTORY_WINDOW_MS });
    if (typeof sampled === 'boolean') return sampled;
    const counts = await Promise.all(
      Array.from({ length: sampled }, (_, shard) =>
        this.redis.run(historyShardCountsScript, {
          keys: this.redis.keys.forShard(eventId, shard),
          windowMs: HISTORY_WINDOW_MS,
        }),
      ),
    );
    const sums = new Array<number>(9).fill(0);
    for (const shard of counts) shard?.forEach((value, index) => (sums[index] += value));
    return (await this.redis.run(historySampleScript, { keys, windowMs: HISTORY_WINDOW_MS, sums })) === true;
  }

  /** The samples taken after `sinceMs` (0: the whole window) and the one just before them. */
  read(eventId: string, sinceMs: number): Promise<HistoryReadReply> {
    return this.redis.run(historyReadScript, {
      keys: this.redis.keys.forEvent(eventId),
      sinceMs,
      windowMs: HISTORY_WINDOW_MS,
    });
  }

  takeSampleLease(ownerId: string, ttlMs: number): Promise<boolean> {
    return this.leases.acquire(this.redis.keys.historySampleLease, ownerId, ttlMs);
  }

  releaseSampleLease(ownerId: string): Promise<void> {
    return this.leases.release(this.redis.keys.historySampleLease, ownerId);
  }
}
