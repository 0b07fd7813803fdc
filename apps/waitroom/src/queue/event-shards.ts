import { Injectable } from '@nestjs/common';

/** Events whose number of shards this instance remembers; beyond it, forgotten and learned again. */
const MAX_REMEMBERED = 100_000;

/**
 * How many shards each event has, as this instance last learned it (docs/decisions/0023-sharded-
 * events.md). Only joins need it (a session id routes itself): an event not remembered is taken
 * as unsharded, and a join routed with the wrong count is answered SHARDS by its script (every
 * shard's config copy knows the count) and routed again, so a stale entry costs one round trip,
 * never a misplaced join. No read is made for an unsharded event.
 */
@Injectable()
export class EventShards {
  private readonly shards = new Map<string, number>();

  get(eventId: string): number {
    return this.shards.get(eventId) ?? 1;
  }

  learn(eventId: string, shards: number): void {
    if (shards <= 1) {
      this.shards.delete(eventId);
      return;
    }
    if (this.shards.size >= MAX_REMEMBERED && !this.shards.has(eventId)) this.shards.clear();
    this.shards.set(eventId, shards);
  }
}
