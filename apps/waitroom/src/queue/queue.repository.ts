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
import {
  newMemberId,
  newMemberIdInShard,
  SHARDED_MEMBER_LENGTH,
  shardOfMember,
  shardOfUser,
  type SessionRef,
} from './session-id';
import type { EventKeys } from '../redis/redis-keys';
import { StoreUnavailableError } from '../redis/store-errors';
import { EventShards } from './event-shards';
import { Arrivals } from './arrivals';
import { aheadOf, ShardRanks } from './shard-ranks';
import { arrivalScore, isPlainArrival } from './queue-order';
import {
  configHashCommand,
  joinLimitScript,
  useProofScript,
  copyConfigScript,
  deleteKeysCommand,
  shardCountCommand,
} from './shards.scripts';
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
    private readonly shardCounts: EventShards,
    private readonly shardRanks: ShardRanks,
    private readonly arrivals: Arrivals,
  ) {}

  /**
   * `clientAddress` null: no per-address join limit (a trusted caller). `proof`: the bot check's
   * verdict on the join's proof of work (none sent when absent). A sharded event's join takes
   * its queue score in shard 0 (arrive-2.lua), then its place in the user's shard; the reply's
   * place and queue length are the event's (the other shards' from ShardRanks).
   */
  async join(
    eventId: string,
    userId: string,
    priority: number,
    clientAddress: string | null,
    proof: JoinProof = { kind: 'none' },
    identity?: JoinIdentity,
  ): Promise<Exclude<JoinReply, { code: 'SHARDS' }>> {
    const joinsPerMinute = clientAddress === null ? 0 : this.env.JOIN_RATE_LIMIT_PER_MINUTE;
    const common = { userId, priority, outboxLimit: this.env.OUTBOX_MAX_BACKLOG, identity };
    // A join routed with a stale count of shards is answered SHARDS and routed again: at most
    // twice (the count changes only before anybody joined).
    for (let attempt = 0; ; attempt++) {
      const shards = this.shardCounts.get(eventId);
      let reply: JoinReply;
      if (shards === 1) {
        reply = await this.redis.run(joinScript, {
          ...common,
          keys: this.redis.keys.forEvent(eventId),
          memberId: newMemberId(),
          messageId: randomUUID(),
          clientAddress: clientAddress ?? 'trusted',
          joinsPerMinute,
          proof,
          shards,
        });
      } else {
        // The shards' samples before the join takes its number: every join numbered before
        // them is in them (queue/shard-ranks.ts), so the number tells which ones are not.
        let samples = await this.shardRanks.samples(eventId, shards);
        // The per-address limit and a proof's single use, each in the shard its key hashes to,
        // while the join takes its number in shard 0 (with the joins that came with it).
        const address = clientAddress ?? 'trusted';
        const [arrival, retryAfterMs, proofFresh] = await Promise.all([
          this.arrivals.take(eventId, userId, priority),
          joinsPerMinute > 0
            ? this.redis.run(joinLimitScript, {
                keys: this.redis.keys.forShard(eventId, shardOfUser(address, shards)),
                clientAddress: address,
                perMinute: joinsPerMinute,
              })
            : 0,
          proof.kind === 'valid'
            ? this.redis.run(useProofScript, {
                keys: this.redis.keys.forShard(eventId, shardOfUser(proof.id, shards)),
                proofId: proof.id,
                ttlMs: proof.ttlMs,
              })
            : false,
        ]);
        if (retryAfterMs > 0) return { code: 'RATE_LIMITED', retryAfterMs };
        if (arrival.code !== 'OK') return arrival;
        this.shardCounts.learn(eventId, arrival.shards);
        if (arrival.shards === 1) continue;
        const proofVerdict: JoinProof =
          proof.kind === 'valid' ? { kind: proofFresh ? 'exempt' : 'invalid' } : proof;
        const shard = shardOfUser(userId, arrival.shards);
        if (samples.length !== arrival.shards)
          samples = await this.shardRanks.samples(eventId, arrival.shards);
        const score = Number(arrival.score);
        // A plain arrival is behind everyone queued: the other shards' people numbered up to the
        // samples' sequence are counted in the samples, and every join numbered since (less this
        // shard's, which the script counts) as ahead, at most. Others: their samples alone.
        const plain = isPlainArrival(score);
        const cutoff = plain ? Math.min(score, arrivalScore(0, samples[0].sequence + 1)) : score;
        let aheadElsewhere = plain ? Math.max(0, arrival.sequence - samples[0].sequence - 1) : 0;
        samples.forEach((sample, other) => {
          if (other !== shard) aheadElsewhere += aheadOf(sample, cutoff);
        });
        reply = await this.redis.run(joinScript, {
          ...common,
          keys: this.redis.keys.forShard(eventId, shard),
          memberId: newMemberIdInShard(shard, arrival.shards),
          messageId: randomUUID(),
          clientAddress: 'trusted',
          joinsPerMinute: 0,
          proof: proofVerdict,
          shards: arrival.shards,
          score: arrival.score,
          aheadElsewhere,
          joinsSinceFrom: plain ? cutoff : undefined,
          configUpdatedAt: arrival.configUpdatedAt,
        });
        if (reply.code === 'SHARDS' && attempt === 0) {
          // The shard's copy of the config is behind shard 0's: copied again, then once more.
          await this.repairShardConfigs(eventId);
          continue;
        }
        if (reply.code === 'CREATED' || reply.code === 'EXISTING') {
          const { session } = reply;
          const elsewhere = await this.shardRanks.elsewhere(
            eventId,
            shard,
            arrival.shards,
            session.score,
            reply.code === 'EXISTING' ? session.joinedAtMs : 0,
          );
          // CREATED: the script added the people ahead elsewhere already.
          if (reply.code === 'EXISTING' && session.position !== null) session.position += elsewhere.ahead;
          session.queueLength = Math.max(session.queueLength, elsewhere.queueLength, session.position ?? 0);
        }
      }
      if (reply.code !== 'SHARDS') return reply;
      // Its shards disagree on their config after a repair (a shard's master away): try again shortly.
      if (attempt > 1) throw new StoreUnavailableError();
      this.shardCounts.learn(eventId, reply.shards);
    }
  }

  /** Copies shard 0's config to every other shard again (a copy that failed or fell behind). */
  async repairShardConfigs(eventId: string): Promise<void> {
    const hash = await this.redis.run(configHashCommand, { keys: this.redis.keys.forEvent(eventId) });
    if (hash) await this.copyConfigToShards(eventId, hash, Number(hash.shards || 1));
  }

  async getSession(ref: SessionRef): Promise<SessionRecord | null> {
    const session = await this.redis.run(getSessionScript, { keys: this.keysOf(ref), memberId: ref.member });
    return session && this.inEvent(ref, session);
  }

  /**
   * A session read for a live stream: with its score and the event's progress at that moment.
   * A sharded event's session is read as its shard has it (its place there, what a position
   * base is made of): inEvent() turns it into the event's.
   */
  streamSession(ref: SessionRef): Promise<StreamedSession | null> {
    return this.redis.run(streamSessionScript, { keys: this.keysOf(ref), memberId: ref.member });
  }

  /** The keys of the shard a session lives in (the event's own for an unsharded event). */
  private keysOf(ref: SessionRef): EventKeys {
    return this.redis.keys.forShard(ref.eventId, shardOfMember(ref.member));
  }

  /**
   * A session of a sharded event as read in its shard, as the event has it: its place there plus
   * the other shards' people ahead of its score, and the event's queue length. An unsharded
   * event's session is returned as it is.
   */
  async inEvent(ref: SessionRef, session: SessionRecord): Promise<SessionRecord> {
    if (ref.member.length !== SHARDED_MEMBER_LENGTH) return session;
    const shards = await this.shardsOf(ref.eventId);
    if (shards <= 1) return session;
    const elsewhere = await this.shardRanks.elsewhere(
      ref.eventId,
      shardOfMember(ref.member),
      shards,
      session.score,
      session.joinedAtMs,
    );
    const position = session.position === null ? null : session.position + elsewhere.ahead;
    return { ...session, position, queueLength: Math.max(elsewhere.queueLength, position ?? 0) };
  }

  /** How many shards an event has: remembered, else read from its shard 0's config. */
  async shardsOf(eventId: string): Promise<number> {
    const known = this.shardCounts.get(eventId);
    if (known > 1) return known;
    const shards = await this.redis.run(shardCountCommand, { keys: this.redis.keys.forEvent(eventId) });
    this.shardCounts.learn(eventId, shards);
    return shards;
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
  heartbeats(scope: string, memberIds: string[]): Promise<number> {
    return this.redis.run(heartbeatScript, { keys: this.redis.keys.forEvent(scope), memberIds });
  }

  leave(ref: SessionRef): Promise<EndReply> {
    return this.redis.run(leaveScript, {
      keys: this.keysOf(ref),
      memberId: ref.member,
      messageId: randomUUID(),
      retentionSeconds: this.env.SESSION_RETENTION_SECONDS,
    });
  }

  /** Applies a checkout outcome to a `ready` session; anything else is left as it is. */
  finishCheckout(ref: SessionRef, outcome: CheckoutOutcome): Promise<EndReply> {
    return this.redis.run(finishCheckoutScript, {
      keys: this.keysOf(ref),
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
  ): Promise<
    { created: boolean; config: EventConfig } | { fixed: 'DRAW_FIXED' | 'SHARDS_FIXED'; reason: string }
  > {
    const reply = await this.redis.run(upsertEventScript, {
      keys: this.redis.keys.forEvent(eventId),
      // The pre-queue draw's secret seed (used only for a new event or when shuffle turns on).
      seed: randomBytes(16).toString('hex'),
      fields: configToHashFields(config),
      actor,
      auditCap: AUDIT_LOG_CAP,
    });
    if ('reason' in reply) return { fixed: reply.code, reason: reply.reason };
    const stored = configFromHash(eventId, reply.hash);
    await this.copyConfigToShards(eventId, reply.hash, Math.max(stored.shards, reply.shardsBefore));
    return { created: reply.code === 'CREATED', config: stored };
  }

  /**
   * Copies shard 0's config hash (`hash`, as just written there) to every other shard of the
   * event, and removes the copies of shards it no longer has (below `shardsKnown`: a count that
   * went down before anybody joined). Whoever changes shard 0's config calls it; the admission
   * step repairs a copy that failed (admission/sharded-admission.ts).
   */
  async copyConfigToShards(
    eventId: string,
    hash: Record<string, string>,
    shardsKnown: number,
  ): Promise<void> {
    const shards = Number(hash.shards || 1);
    const pairs = Object.entries(hash).flat();
    const copies: Promise<boolean>[] = [];
    for (let shard = 1; shard < shardsKnown; shard++)
      copies.push(
        this.redis.run(copyConfigScript, {
          keys: this.redis.keys.forShard(eventId, shard),
          pairs: shard < shards ? pairs : [],
        }),
      );
    await Promise.all(copies);
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
    const config = configFromHash(eventId, snapshot.configHash);
    const counters: EventCounters = {
      queueLength: snapshot.queueLength,
      activeCount: snapshot.activeCount,
      ...totalsFromHash(snapshot.statsHash),
      admissionRatePerSecond: snapshot.admissionRatePerSecond,
    };
    const estimateErrors = estimateErrorsFromHash(snapshot.statsHash);
    // A sharded event's figures are the sums over its shards (shard 0 holds the config).
    const others = await Promise.all(
      Array.from({ length: config.shards - 1 }, (_, index) =>
        this.redis.run(eventStatsScript, { keys: this.redis.keys.forShard(eventId, index + 1) }),
      ),
    );
    for (const shard of others) {
      if (!shard) continue;
      counters.queueLength += shard.queueLength;
      counters.activeCount += shard.activeCount;
      const totals = totalsFromHash(shard.statsHash);
      for (const name of Object.keys(totals) as (keyof typeof totals)[]) counters[name] += totals[name];
      const errors = estimateErrorsFromHash(shard.statsHash);
      for (const name of Object.keys(errors) as (keyof EstimateErrors)[])
        estimateErrors[name] += errors[name];
    }
    return { config, counters, estimateErrors };
  }

  /**
   * Removes a closed event, slice by slice (each slice one atomic script). Returns the last
   * slice's reply with the sessions ended over all slices. A sharded event's other shards go
   * first (their config copies made closed again first), its shard 0 (the config itself) last:
   * a removal that fails half way leaves the event there, to be removed again.
   */
  async removeEvent(eventId: string, actor: string): Promise<RemoveEventReply> {
    const hash = await this.redis.run(configHashCommand, { keys: this.redis.keys.forEvent(eventId) });
    if (!hash) return { code: 'NOT_FOUND' };
    if (hash.state !== 'closed') return { code: 'NOT_CLOSED', state: hash.state };
    const shards = Number(hash.shards || 1);
    let ended = 0;
    if (shards > 1) await this.copyConfigToShards(eventId, hash, shards);
    for (let shard = shards - 1; shard >= 0; shard--) {
      const reply = await this.removeShard(eventId, shard, actor);
      // A shard with no config copy left (a removal that stopped half way) has nothing to end.
      if (reply.code === 'NOT_FOUND' && shard > 0) continue;
      if (reply.code !== 'REMOVED') return reply;
      ended += reply.ended;
    }
    if (shards > 1)
      await this.redis.run(deleteKeysCommand, { keys: [this.redis.keys.forEvent(eventId).admissionEpoch] });
    return { code: 'REMOVED', ended };
  }

  private async removeShard(eventId: string, shard: number, actor: string): Promise<RemoveEventReply> {
    const keys = this.redis.keys.forShard(eventId, shard);
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
   * sessions ended over all slices. A sharded event closes in shard 0, its config is copied to
   * the other shards (so none takes a join any more), then their queues end.
   */
  async soldOut(eventId: string, actor: string, message?: string | null): Promise<SoldOutReply> {
    const first = await this.soldOutShard(eventId, 0, actor, message);
    if (first.code === 'NOT_FOUND') return first;
    const hash = await this.redis.run(configHashCommand, { keys: this.redis.keys.forEvent(eventId) });
    const shards = Number(hash?.shards || 1);
    if (!hash || shards === 1) return first;
    await this.copyConfigToShards(eventId, hash, shards);
    let ended = first.ended;
    for (let shard = 1; shard < shards; shard++) {
      const reply = await this.soldOutShard(eventId, shard, actor, message);
      if (reply.code === 'DONE') ended += reply.ended;
    }
    return { code: 'DONE', ended };
  }

  private async soldOutShard(
    eventId: string,
    shard: number,
    actor: string,
    message?: string | null,
  ): Promise<SoldOutReply> {
    const keys = this.redis.keys.forShard(eventId, shard);
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
        firstSlice: slice === 0 && shard === 0,
        copy: shard > 0,
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
