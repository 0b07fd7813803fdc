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
    return rows.map(([id, flat]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
      return { id, fields };
    });
  }

  async remove(eventId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const key = this.redis.keys.forEvent(eventId).outbox;
    await this.redis.call(() => this.redis.client.xdel(key, ...ids));
  }

  async backlog(eventId: string): Promise<number> {
    const key = this.redis.keys.forEvent(eventId).outbox;
    return this.redis.call(() => this.redis.client.xlen(key));
  }
}
