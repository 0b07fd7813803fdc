import { Injectable } from '@nestjs/common';
import { RedisService } from './redis.service';
import { leaseScript } from './lease.scripts';

/**
 * Leases: one instance at a time does a piece of shared work (relaying one event's outbox,
 * sweeping the registry). For efficiency only: every state change is its own atomic script,
 * so two holders at once would only repeat work, never corrupt it.
 */
@Injectable()
export class Leases {
  constructor(private readonly redis: RedisService) {}

  /** Takes the lease if free, or extends it if this owner holds it. */
  acquire(key: string, ownerId: string, ttlMs: number): Promise<boolean> {
    return this.redis.run(leaseScript, { key, ownerId, ttlMs });
  }

  /** Ends a lease early if this owner holds it. Best effort: otherwise it simply times out. */
  async release(key: string, ownerId: string): Promise<void> {
    await this.redis.run(leaseScript, { key, ownerId, ttlMs: 1 }).catch(() => undefined);
  }
}
