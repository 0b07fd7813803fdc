import { Injectable } from '@nestjs/common';
import { RedisService } from '../redis/redis.service';

/** One domain event waiting in an event's outbox stream (fields written by the Lua scripts). */
export interface OutboxEntry {
  /** Stream entry id, used to delete it once Kafka has it. */
  id: string;
  fields: Record<string, string>;
}

/**
 * The transactional outbox: a Redis stream per event that the state-changing scripts append to
 * in the same atomic step as the change. Entries leave only after the broker acknowledged them.
 */
@Injectable()
export class OutboxRepository {
  constructor(private readonly redis: RedisService) {}

  async tryLease(eventId: string, ownerId: string, ttlMs: number): Promise<boolean> {
    const key = this.redis.keys.forEvent(eventId).outboxLease;
    return (await this.redis.runScript('lease', [key], [ownerId, ttlMs])) === 1;
  }

  async releaseLease(eventId: string, ownerId: string): Promise<void> {
    const key = this.redis.keys.forEvent(eventId).outboxLease;
    // Ending a lease early is an optimisation; if it fails, the lease simply times out.
    await this.redis.runScript('lease', [key], [ownerId, 1]).catch(() => undefined);
  }

  async oldest(eventId: string, count: number): Promise<OutboxEntry[]> {
    const key = this.redis.keys.forEvent(eventId).outbox;
    const rows = await this.redis.call(() => this.redis.client.xrange(key, '-', '+', 'COUNT', count));
    return rows.map(([id, flat]) => ({ id, fields: entryFields(flat) }));
  }

  /**
   * Deletes every entry up to and including `lastId` (the newest entry of a published batch).
   * One small XTRIM MINID instead of an XDEL listing each id. Safe because the relay always
   * publishes the oldest entries first: anything at or below `lastId` is on Kafka, whichever
   * instance published it; entries appended meanwhile have greater ids and stay.
   */
  async removeUpTo(eventId: string, lastId: string): Promise<void> {
    const key = this.redis.keys.forEvent(eventId).outbox;
    await this.redis.call(() => this.redis.client.xtrim(key, 'MINID', nextStreamId(lastId)));
  }

  async backlog(eventId: string): Promise<number> {
    const key = this.redis.keys.forEvent(eventId).outbox;
    return this.redis.call(() => this.redis.client.xlen(key));
  }
}

/** The smallest stream id greater than `id` ("<ms>-<seq>"): MINID keeps ids >= its argument. */
export function nextStreamId(id: string): string {
  const dash = id.indexOf('-');
  const ms = id.slice(0, dash);
  const seq = BigInt(id.slice(dash + 1));
  // seq is a 64-bit counter; at its maximum the next id is the next millisecond's first.
  return seq === 0xffffffffffffffffn ? `${BigInt(ms) + 1n}-0` : `${ms}-${seq + 1n}`;
}

/** A stream entry's flat [field, value, field, value, ...] list as a record. */
export function entryFields(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return fields;
}
