import { Injectable } from '@nestjs/common';
import { Leases } from '../redis/lease';
import { RedisService } from '../redis/redis.service';
import { historyReadScript, historySampleScript, type HistoryReadReply } from './history.scripts';

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

  /** Appends one sample of the event's counts and totals; false if the event does not exist. */
  sample(eventId: string): Promise<boolean> {
    return this.redis.run(historySampleScript, {
      keys: this.redis.keys.forEvent(eventId),
      windowMs: HISTORY_WINDOW_MS,
    });
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
