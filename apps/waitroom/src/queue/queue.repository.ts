import { Injectable } from '@nestjs/common';
import type { JoinProof } from '../bot-check/join-proof';
import { randomBytes, randomUUID } from 'node:crypto';
import { Environment } from '../config/environment';
import { RedisService } from '../redis/redis.service';
import {
  configFromHash,
  configToHashFields,
  totalsFromHash,
  estimateErrorsFromHash,
  type EstimateErrors,
  type EventConfig,
  type EventCounters,
} from './event-config';
import { newMemberId, type SessionRef } from './session-id';
import type { SessionRecord } from './session';
import {
  auditReadScript,
  drawScript,
  eventProgressScript,
  eventStatsScript,
  finishCheckoutScript,
  getSessionScript,
  heartbeatScript,
  identityJwkCommand,
  joinScript,
  leaveScript,
  removeEventScript,
  sessionTicketKeyCommand,
  soldOutScript,
  streamSessionScript,
  upsertEventScript,
  type CheckoutOutcome,
  type DrawReply,
  type EventProgress,
  type StreamedSession,
  type EndReply,
  type JoinIdentity,
  type JoinReply,
  type RemoveEventReply,
  type SoldOutReply,
  type AuditReadReply,
} from './queue.scripts';

export type {
  AuditReadReply,
  CheckoutOutcome,
  DrawReply,
  EndReply,
  EventProgress,
  JoinReply,
  RemoveEventReply,
  SoldOutReply,
  StreamedSession,
};

/** Most sessions one remove-event call ends: bounds the time one script holds Redis. */
const SESSIONS_ENDED_PER_REMOVE_CALL = 1000;
/**
 * Most sessions one sold-out slice ends. A sold-out happens while the sale is busy, so a slice
 * must not hold Redis long: about 17 µs of Redis time per session (npm run bench:sold-out), so
 * 250 hold it ~4 ms, which is what another event's join may wait behind it.
 */
export const SESSIONS_ENDED_PER_SOLD_OUT_CALL = 250;
/** Most entries an event's audit log keeps (CONTRACT.md); the oldest go first. */
export const AUDIT_LOG_CAP = 10_000;

/**
 * Queue state in Redis. Every state change is one Lua script (redis/scripts), so it is atomic
 * and safe with any number of service instances; the same script appends the matching domain
 * event to the event's outbox stream, which the outbox relay publishes to Kafka. Replies are
 * returned as typed results: what they mean for a caller (404, 409, ...) is the service's call.
 */
@Injectable()
export class QueueRepository {
  constructor(
    private readonly redis: RedisService,
    private readonly env: Environment,
  ) {}

  /**
   * `clientAddress` null: no per-address join limit (a trusted caller). `proof`: the bot check's
   * verdict on the join's proof of work (none sent when absent).
   */
  join(
    eventId: string,
    userId: string,
    priority: number,
    clientAddress: string | null,
    proof?: JoinProof,
    identity?: JoinIdentity,
  ): Promise<JoinReply> {
    return this.redis.run(joinScript, {
      keys: this.redis.keys.forEvent(eventId),
      memberId: newMemberId(),
      messageId: randomUUID(),
      userId,
      priority,
      clientAddress: clientAddress ?? 'trusted',
      outboxLimit: this.env.OUTBOX_MAX_BACKLOG,
      joinsPerMinute: clientAddress === null ? 0 : this.env.JOIN_RATE_LIMIT_PER_MINUTE,
      proof,
      identity,
    });
  }

  getSession(ref: SessionRef): Promise<SessionRecord | null> {
    return this.redis.run(getSessionScript, {
      keys: this.redis.keys.forEvent(ref.eventId),
      memberId: ref.member,
    });
  }

  /** A session read for a live stream: with its score and the event's progress at that moment. */
  streamSession(ref: SessionRef): Promise<StreamedSession | null> {
    return this.redis.run(streamSessionScript, {
      keys: this.redis.keys.forEvent(ref.eventId),
      memberId: ref.member,
    });
  }

  /**
   * The event's progress, read once per tick for all the streams of this instance; with
   * `endedSinceMs`, also the checkouts that ended from then on (the gate's).
   */
  eventProgress(eventId: string, endedSinceMs?: number): Promise<EventProgress | null> {
    return this.redis.run(eventProgressScript, { keys: this.redis.keys.forEvent(eventId), endedSinceMs });
  }

  /** The stored text of the event's join_identity_jwk, or null when it has none (or does not exist). */
  identityJwk(eventId: string): Promise<string | null> {
    return this.redis.run(identityJwkCommand, { keys: this.redis.keys.forEvent(eventId) });
  }

  /** The secret that signs session tickets: the one in Redis, or a fresh one written if there is none yet. */
  sessionTicketKey(): Promise<Buffer> {
    return this.redis.run(sessionTicketKeyCommand, {
      key: this.redis.keys.sessionTicketKey,
      candidate: randomBytes(32),
    });
  }

  /** Heartbeats of queued sessions, one call for many (the streams and polls of one instance). */
  heartbeats(eventId: string, memberIds: string[]): Promise<number> {
    return this.redis.run(heartbeatScript, { keys: this.redis.keys.forEvent(eventId), memberIds });
  }

  leave(ref: SessionRef): Promise<EndReply> {
    return this.redis.run(leaveScript, {
      keys: this.redis.keys.forEvent(ref.eventId),
      memberId: ref.member,
      messageId: randomUUID(),
      retentionSeconds: this.env.SESSION_RETENTION_SECONDS,
    });
  }

  /** Applies a checkout outcome to a `ready` session; anything else is left as it is. */
  finishCheckout(ref: SessionRef, outcome: CheckoutOutcome): Promise<EndReply> {
    return this.redis.run(finishCheckoutScript, {
      keys: this.redis.keys.forEvent(ref.eventId),
      memberId: ref.member,
      outcome,
      messageId: randomUUID(),
      retentionSeconds: this.env.SESSION_RETENTION_SECONDS,
    });
  }

  /** `actor`: the admin key's name, for the audit log. */
  async upsertEvent(
    eventId: string,
    config: Omit<EventConfig, 'eventId' | 'createdAtMs' | 'updatedAtMs'>,
    actor: string,
  ): Promise<{ created: boolean; config: EventConfig } | { drawFixed: string }> {
    const reply = await this.redis.run(upsertEventScript, {
      keys: this.redis.keys.forEvent(eventId),
      // The pre-queue draw's secret seed (used only for a new event or when shuffle turns on).
      seed: randomBytes(16).toString('hex'),
      fields: configToHashFields(config),
      actor,
      auditCap: AUDIT_LOG_CAP,
    });
    if (reply.code === 'DRAW_FIXED') return { drawFixed: reply.reason };
    return { created: reply.code === 'CREATED', config: configFromHash(eventId, reply.hash) };
  }

  /** The event's pre-queue draw; the seed only once opens_at has passed. */
  draw(eventId: string): Promise<DrawReply> {
    return this.redis.run(drawScript, { keys: this.redis.keys.forEvent(eventId) });
  }

  async getEvent(
    eventId: string,
  ): Promise<{ config: EventConfig; counters: EventCounters; estimateErrors: EstimateErrors } | null> {
    const snapshot = await this.redis.run(eventStatsScript, { keys: this.redis.keys.forEvent(eventId) });
    if (!snapshot) return null;
    return {
      config: configFromHash(eventId, snapshot.configHash),
      counters: {
        queueLength: snapshot.queueLength,
        activeCount: snapshot.activeCount,
        ...totalsFromHash(snapshot.statsHash),
        admissionRatePerSecond: snapshot.admissionRatePerSecond,
      },
      estimateErrors: estimateErrorsFromHash(snapshot.statsHash),
    };
  }

  /**
   * Removes a closed event, slice by slice (each slice one atomic script). Returns the last
   * slice's reply with the sessions ended over all slices.
   */
  async removeEvent(eventId: string, actor: string): Promise<RemoveEventReply> {
    const keys = this.redis.keys.forEvent(eventId);
    let ended = 0;
    for (;;) {
      const reply = await this.redis.run(removeEventScript, {
        keys,
        retentionSeconds: this.env.SESSION_RETENTION_SECONDS,
        sessionsPerCall: SESSIONS_ENDED_PER_REMOVE_CALL,
        messageIdPrefix: randomUUID(),
        actor,
        auditCap: AUDIT_LOG_CAP,
      });
      if (reply.code !== 'MORE' && reply.code !== 'REMOVED') return reply;
      ended += reply.ended;
      if (reply.code === 'REMOVED') return { code: 'REMOVED', ended };
    }
  }

  /**
   * Sold out, slice by slice (each slice one atomic script): the event closed, the message set
   * when given (null clears it, undefined keeps it), every queued session ended. Returns the
   * sessions ended over all slices.
   */
  async soldOut(eventId: string, actor: string, message?: string | null): Promise<SoldOutReply> {
    const keys = this.redis.keys.forEvent(eventId);
    let ended = 0;
    for (let slice = 0; ; slice++) {
      const reply = await this.redis.run(soldOutScript, {
        keys,
        retentionSeconds: this.env.SESSION_RETENTION_SECONDS,
        sessionsPerCall: SESSIONS_ENDED_PER_SOLD_OUT_CALL,
        messageIdPrefix: randomUUID(),
        message,
        actor,
        auditCap: AUDIT_LOG_CAP,
        firstSlice: slice === 0,
      });
      if (reply.code === 'NOT_FOUND') return reply;
      ended += reply.ended;
      if (reply.code === 'DONE') return { code: 'DONE', ended };
    }
  }

  /** The newest `limit` entries of the event's audit log, as stored (JSON each). */
  auditEntries(eventId: string, limit: number): Promise<AuditReadReply> {
    return this.redis.run(auditReadScript, { keys: this.redis.keys.forEvent(eventId), limit });
  }
}
