import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '../redis/redis.service';
import {
  closeWhenDueScript,
  dueClosesScript,
  scheduleCloseCommand,
  unscheduleCloseScript,
} from './registry.scripts';

/** Most due events handled per call: a backlog (after an outage) drains over a few ticks. */
const DUE_PER_CALL = 100;

/**
 * Events that close by themselves at their `closes_at` (CONTRACT.md), on Redis's clock, once,
 * whichever instance gets there first. An index of scheduled closes (a cross-event sorted set,
 * score = closes_at) tells every instance's admission tick which events are due with one cheap
 * read, so an idle event with a close hours away costs nothing until then; close-when-due-1.lua
 * then closes each due event atomically from its own config, which holds the truth: a stale
 * index entry (closes_at moved or removed, event removed) closes nothing.
 */
@Injectable()
export class ScheduledCloses {
  private readonly logger = new Logger(ScheduledCloses.name);

  constructor(private readonly redis: RedisService) {}

  /**
   * Before the config write that sets closes_at (like the registry: an index entry without its
   * config is harmless, a config without its entry would never close). Null: nothing to add; an
   * old entry is dropped when it comes due and the config has no closes_at.
   */
  async schedule(eventId: string, closesAtMs: number | null): Promise<void> {
    if (closesAtMs === null) return;
    await this.redis.run(scheduleCloseCommand, { key: this.redis.keys.scheduledCloses, eventId, closesAtMs });
  }

  /** Closes every event whose time has come; returns the ids this call closed. */
  async closeDue(): Promise<string[]> {
    const key = this.redis.keys.scheduledCloses;
    const due = await this.redis.run(dueClosesScript, { key, limit: DUE_PER_CALL });
    const closed: string[] = [];
    for (const { eventId, closesAtMs } of due) {
      const reply = await this.redis.run(closeWhenDueScript, this.redis.keys.forEvent(eventId));
      if (reply.code === 'LATER') {
        // The config says later (a PUT moved it while its index write had not landed): follow it.
        await this.redis.run(scheduleCloseCommand, { key, eventId, closesAtMs: reply.closesAtMs });
        continue;
      }
      await this.redis.run(unscheduleCloseScript, { key, eventId, closesAtMs });
      if (reply.code === 'CLOSED') {
        closed.push(eventId);
        this.logger.log(`event ${eventId} closed at its closes_at`);
      }
    }
    return closed;
  }
}
