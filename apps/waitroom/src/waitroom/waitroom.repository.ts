import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DomainError, eventNotFound } from '../common/domain-errors';
import { Environment } from '../config/environment';
import { EventRegistry } from '../redis/event-registry';
import { RedisService } from '../redis/redis.service';
import { joinCall } from '../redis/script-calls';
import {
  configFromHash,
  configToHashFields,
  pairsToRecord,
  type EventConfig,
  type EventCounters,
} from './event-config';
import type { SessionRef } from './session-id';
import type { SessionRecord, SessionStatus } from './session';
import { parseSessionReply } from './session-reply';

export type JoinResult = { created: boolean; session: SessionRecord };
export type CheckoutOutcome = 'completed' | 'failed' | 'expired';

/**
 * Queue state in Redis. Every state change is one Lua script (redis/scripts), so it is atomic
 * and safe with any number of service instances; the same script appends the matching domain
 * event to the event's outbox stream, which the outbox relay publishes to Kafka.
 */
@Injectable()
export class WaitroomRepository {
  constructor(
    private readonly redis: RedisService,
    private readonly registry: EventRegistry,
    private readonly env: Environment,
  ) {}

  async join(eventId: string, userId: string, priority: number, clientAddress: string): Promise<JoinResult> {
    const keys = this.redis.keys.forEvent(eventId);
    const call = joinCall(keys, {
      userId,
      priority,
      clientAddress,
      outboxLimit: this.env.OUTBOX_MAX_BACKLOG,
      joinsPerMinute: this.env.JOIN_RATE_LIMIT_PER_MINUTE,
    });
    const reply = (await this.redis.runScript('join', call.keys, call.args)) as (string | number)[];
    switch (reply[0]) {
      case 'CREATED':
      case 'EXISTING':
        return { created: reply[0] === 'CREATED', session: parseSessionReply(eventId, reply) };
      case 'RATE_LIMITED':
        throw new DomainError(
          'RATE_LIMITED',
          'too many joins from this address, retry later',
          [],
          Math.max(1, Math.ceil(Number(reply[1]) / 1000)),
        );
      case 'EVENT_NOT_FOUND':
        throw eventNotFound(eventId);
      case 'EVENT_CLOSED':
        throw new DomainError('EVENT_CLOSED', `event ${eventId} is closed to new joins`);
      case 'OUTBOX_FULL':
        throw new DomainError('OUTBOX_FULL', 'event publishing is backed up, retry shortly', [], 5);
      default:
        throw new Error(`join: unexpected reply ${String(reply[0])}`);
    }
  }

  async getSession(ref: SessionRef): Promise<SessionRecord | null> {
    const keys = this.redis.keys.forEvent(ref.eventId);
    const reply = (await this.redis.runScript(
      'get-session',
      [keys.session(ref.member), keys.config, keys.queue, keys.heartbeats, keys.pace],
      [ref.member],
    )) as (string | number)[];
    return reply[0] === 'OK' ? parseSessionReply(ref.eventId, reply) : null;
  }

  /** Returns the status after the call, or null for an unknown session. */
  async leave(ref: SessionRef): Promise<{ changed: boolean; status: SessionStatus } | null> {
    const keys = this.redis.keys.forEvent(ref.eventId);
    const reply = (await this.redis.runScript(
      'leave',
      [keys.session(ref.member), keys.queue, keys.active, keys.heartbeats, keys.stats, keys.outbox],
      [ref.member, keys.userPrefix, randomUUID(), this.env.SESSION_RETENTION_SECONDS],
    )) as string[];
    if (reply[0] === 'NOT_FOUND') return null;
    return { changed: reply[0] === 'LEFT', status: reply[1] as SessionStatus };
  }

  /** Applies a checkout outcome to a `ready` session; anything else is left as it is. */
  async finishCheckout(
    ref: SessionRef,
    outcome: CheckoutOutcome,
  ): Promise<'applied' | 'unchanged' | 'not_found'> {
    const keys = this.redis.keys.forEvent(ref.eventId);
    const reply = (await this.redis.runScript(
      'finish-checkout',
      [keys.session(ref.member), keys.active, keys.stats, keys.outbox],
      [ref.member, outcome, keys.userPrefix, randomUUID(), this.env.SESSION_RETENTION_SECONDS],
    )) as string[];
    return reply[0] === 'APPLIED' ? 'applied' : reply[0] === 'UNCHANGED' ? 'unchanged' : 'not_found';
  }

  async upsertEvent(
    eventId: string,
    config: Omit<EventConfig, 'eventId' | 'createdAtMs' | 'updatedAtMs'>,
  ): Promise<{ created: boolean; config: EventConfig }> {
    // Registry first: if the config write then fails, the scheduler just skips an id with no config.
    await this.registry.add(eventId);
    const keys = this.redis.keys.forEvent(eventId);
    const reply = (await this.redis.runScript(
      'upsert-event',
      [keys.config],
      [randomBytes(16).toString('hex'), ...configToHashFields(config)],
    )) as [string, string[]];
    return { created: reply[0] === 'CREATED', config: configFromHash(eventId, pairsToRecord(reply[1])) };
  }

  async getEvent(eventId: string): Promise<{ config: EventConfig; counters: EventCounters } | null> {
    const keys = this.redis.keys.forEvent(eventId);
    const reply = (await this.redis.runScript(
      'event-stats',
      [keys.config, keys.queue, keys.active, keys.stats, keys.pace],
      [],
    )) as [string[], number, number, string[], string] | [];
    if (reply.length === 0) return null;
    const [configPairs, queueLength, activeCount, statsPairs, rate] = reply;
    const stats = pairsToRecord(statsPairs);
    const total = (name: string) => Number(stats[name] ?? 0);
    return {
      config: configFromHash(eventId, pairsToRecord(configPairs)),
      counters: {
        queueLength,
        activeCount,
        admittedTotal: total('admitted_total'),
        completedTotal: total('completed_total'),
        failedTotal: total('failed_total'),
        expiredTotal: total('expired_total'),
        leftTotal: total('left_total'),
        abandonedTotal: total('abandoned_total'),
        joinedTotal: total('joined_total'),
        admissionRatePerSecond: rate === '' ? null : Number(rate),
      },
    };
  }
}
