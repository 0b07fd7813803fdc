import { Injectable } from '@nestjs/common';
import { RedisService } from './redis.service';

/**
 * The set of configured event ids: what the admission scheduler, the outbox relay, the admin
 * list, the health check and the metrics walk. The only cross-event key, so it is written on its
 * own, before the event's config (an id without config is skipped by every reader).
 */
@Injectable()
export class EventRegistry {
  constructor(private readonly redis: RedisService) {}

  async add(eventId: string): Promise<void> {
    await this.redis.call(() => this.redis.client.sadd(this.redis.keys.eventRegistry, eventId));
  }

  /** Every registered event id, sorted. */
  async ids(): Promise<string[]> {
    const ids = await this.redis.call(() => this.redis.client.smembers(this.redis.keys.eventRegistry));
    return ids.sort();
  }
}
