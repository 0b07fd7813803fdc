import { Injectable } from '@nestjs/common';
import { RedisService } from '../redis/redis.service';
import { registeredEventIdsCommand, registerEventCommand, unregisterEventCommand } from './registry.scripts';

/**
 * The set of configured event ids: what the admin list, the metrics and the active-events sweep
 * walk (the periodic visitors walk only ActiveEvents). A cross-event key, so it is written on
 * its own, before the event's config (an id without config is skipped by every reader).
 */
@Injectable()
export class EventRegistry {
  constructor(private readonly redis: RedisService) {}

  async add(eventId: string): Promise<void> {
    await this.redis.run(registerEventCommand, { registryKey: this.redis.keys.eventRegistry, eventId });
  }

  /** After an event was removed: it is no longer listed, swept or scraped. */
  async remove(eventId: string): Promise<void> {
    await this.redis.run(unregisterEventCommand, { registryKey: this.redis.keys.eventRegistry, eventId });
  }

  /** Every registered event id, sorted. */
  async ids(): Promise<string[]> {
    return this.redis.run(registeredEventIdsCommand, { registryKey: this.redis.keys.eventRegistry });
  }
}
