import { Injectable } from '@nestjs/common';
import { Leases } from '../../redis/lease';
import { RedisService } from '../../redis/redis.service';
import type { OutboxEntry } from './outbox-entry';
import {
  outboxEntriesCommand,
  quarantineOutboxEntryScript,
  relayLeaseScript,
  streamLengthCommand,
  trimOutboxScript,
  type RelayLease,
} from './outbox.scripts';

/** Most entries an event's quarantine keeps (approximately: MAXLEN ~). */
const QUARANTINE_KEEP = 10_000;

/**
 * The transactional outbox: a Redis stream per event that the state-changing scripts append to
 * in the same atomic step as the change. Entries leave only after the broker acknowledged them,
 * or to the event's quarantine when this version cannot read them.
 */
@Injectable()
export class OutboxRepository {
  constructor(
    private readonly redis: RedisService,
    private readonly leases: Leases,
  ) {}

  /** The relay's visit: the event's lease if its outbox has entries (see relay-lease-2.lua). */
  leaseIfWaiting(eventId: string, ownerId: string, ttlMs: number): Promise<RelayLease> {
    return this.redis.run(relayLeaseScript, { keys: this.redis.keys.forEvent(eventId), ownerId, ttlMs });
  }

  tryLease(eventId: string, ownerId: string, ttlMs: number): Promise<boolean> {
    return this.leases.acquire(this.redis.keys.forEvent(eventId).outboxLease, ownerId, ttlMs);
  }

  /** Resolves once REDIS_WAIT_REPLICAS replicas hold the event's outbox as it is now (redis-door.ts). */
  confirmReplicated(eventId: string): Promise<void> {
    return this.redis.confirmReplicated(this.redis.keys.forEvent(eventId).outbox);
  }

  releaseLease(eventId: string, ownerId: string): Promise<void> {
    return this.leases.release(this.redis.keys.forEvent(eventId).outboxLease, ownerId);
  }

  /** The oldest `count` entries, or the oldest after `afterId` (exclusive) when given. */
  oldest(eventId: string, count: number, afterId: string | null = null): Promise<OutboxEntry[]> {
    return this.redis.run(outboxEntriesCommand, {
      outboxKey: this.redis.keys.forEvent(eventId).outbox,
      afterId,
      count,
    });
  }

  /**
   * Deletes every entry up to and including `lastId` (the newest entry of a published batch).
   * One small XTRIM MINID instead of an XDEL listing each id. Safe because the relay always
   * publishes the oldest entries first: anything at or below `lastId` is on Kafka, whichever
   * instance published it; entries appended meanwhile have greater ids and stay.
   */
  removeUpTo(eventId: string, lastId: string): Promise<number> {
    return this.redis.run(trimOutboxScript, {
      keys: this.redis.keys.forEvent(eventId),
      minId: nextStreamId(lastId),
    });
  }

  /** Moves an entry this version cannot publish to the event's quarantine stream. */
  quarantine(eventId: string, entryId: string, reason: string): Promise<boolean> {
    return this.redis.run(quarantineOutboxEntryScript, {
      keys: this.redis.keys.forEvent(eventId),
      entryId,
      reason: reason.slice(0, 500),
      keep: QUARANTINE_KEEP,
    });
  }

  backlog(eventId: string): Promise<number> {
    return this.redis.run(streamLengthCommand, { streamKey: this.redis.keys.forEvent(eventId).outbox });
  }

  quarantined(eventId: string): Promise<number> {
    return this.redis.run(streamLengthCommand, {
      streamKey: this.redis.keys.forEvent(eventId).outboxQuarantine,
    });
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
