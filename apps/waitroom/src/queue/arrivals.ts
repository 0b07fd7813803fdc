import { Injectable } from '@nestjs/common';
import { RedisService } from '../redis/redis.service';
import { arrivalScore, drawNumber, preOpenScore } from './queue-order';
import { arriveScript, type ArriveReply } from './shards.scripts';

/** Most joins numbered in one call (bounds the time one script holds shard 0). */
const MOST_PER_CALL = 500;
/**
 * How long the first join of a batch waits for others: a few milliseconds of a join's latency buy
 * shard 0's master one call for all the joins of those milliseconds (a call costs it several
 * times what numbering one more join does: npm run bench:sharded).
 */
const BATCH_WINDOW_MS = 3;

/** What one join gets from its event's shard 0. */
export type Arrival =
  | { code: 'OK'; shards: number; configUpdatedAt: string; sequence: number; score: string }
  | { code: 'EVENT_NOT_FOUND' };

interface Waiting {
  userId: string;
  priority: number;
  resolve: (arrival: Arrival) => void;
  reject: (error: unknown) => void;
}

/**
 * The first half of a sharded event's joins (docs/decisions/0023-sharded-events.md): a number
 * in the event's one arrival sequence, in its shard 0. Every join of the event still waiting in
 * the same few milliseconds is numbered by one call (arrive-2.lua), so shard 0's master pays one call
 * per batch instead of one per join. Joins numbered together arrived at the same moment; their
 * order among themselves is the order the instance read them in.
 */
@Injectable()
export class Arrivals {
  private readonly waiting = new Map<string, Waiting[]>();

  constructor(private readonly redis: RedisService) {}

  take(eventId: string, userId: string, priority: number): Promise<Arrival> {
    return new Promise<Arrival>((resolve, reject) => {
      let batch = this.waiting.get(eventId);
      if (!batch) {
        batch = [];
        this.waiting.set(eventId, batch);
        setTimeout(() => this.send(eventId), BATCH_WINDOW_MS);
      }
      batch.push({ userId, priority, resolve, reject });
    });
  }

  private send(eventId: string): void {
    const batch = this.waiting.get(eventId) ?? [];
    this.waiting.delete(eventId);
    for (let from = 0; from < batch.length; from += MOST_PER_CALL) {
      const joins = batch.slice(from, from + MOST_PER_CALL);
      this.redis
        .run(arriveScript, { keys: this.redis.keys.forEvent(eventId), count: joins.length })
        .then((reply: ArriveReply) => {
          joins.forEach((join, index) => {
            if (reply.code !== 'OK') return join.resolve(reply);
            const sequence = reply.firstSequence + index;
            // The score as queue-order.lua makes it: a draw before a shuffled opening, else the arrival.
            const score = reply.preOpen
              ? preOpenScore(join.priority, drawNumber(reply.salt, join.userId))
              : arrivalScore(join.priority, sequence);
            join.resolve({
              code: 'OK',
              shards: reply.shards,
              configUpdatedAt: reply.configUpdatedAt,
              sequence,
              score: score.toFixed(0),
            });
          });
        })
        .catch((error: unknown) => joins.forEach((join) => join.reject(error)));
    }
  }
}
