import type { EventKeys } from '../redis/redis-keys';
import {
  defineCommand,
  defineScript,
  pairsToRecord,
  replyArray,
  replyNumber,
  UnexpectedScriptReply,
} from '../redis/script-definition';
import type { JoinProof } from '../bot-check/join-proof';
import type { EventState, SessionRecord, SessionStatus } from './session';
import { parseSessionReply } from './session-reply';

/**
 * Typed wrappers of the waiting room's scripts (redis/scripts/*.lua): each builds KEYS and ARGV
 * in the order the script's header documents and reads its reply. Session and user keys are
 * built inside the scripts from the prefixes passed here (docs/decisions/0004-redis-key-layout.md).
 */

interface JoinInput {
  keys: EventKeys;
  /** The new session's member id (drawn by the caller: a wrapper draws nothing). */
  memberId: string;
  /** QUEUE_JOINED's message id. */
  messageId: string;
  userId: string;
  priority: number;
  clientAddress: string;
  outboxLimit: number;
  joinsPerMinute: number;
  /** The join's proof of work as the bot check judged it (bot-check.service.ts); absent: none sent. */
  proof?: JoinProof;
  /** The join's identity token as checked against the event's key (identity/identity-keys.ts); absent: none sent. */
  identity?: JoinIdentity;
  /** The event's number of shards as the join was routed (the script answers SHARDS if it is not). */
  shards: number;
  /** A sharded event's join: its queue score from the event's arrival sequence (arrive-2.lua). */
  score?: string;
  /** A sharded event's join: people the other shards can have queued ahead of it, at most (queue/shard-ranks.ts). */
  aheadElsewhere?: number;
  /**
   * A sharded event's plain arrival: the score from which joins were counted in aheadElsewhere
   * by their number; this shard's own among them come off it (join-12.lua).
   */
  joinsSinceFrom?: number;
  /** A sharded event's join: shard 0's config updated_at (the shard's copy must not be older). */
  configUpdatedAt?: string;
}

/** What the join script is told of the join's identity token (join-12.lua ARGV[10]). */
export type JoinIdentity =
  | { kind: 'none' | 'invalid' | 'exempt' }
  /** Valid for the key whose stored JWK text has this SHA-1 (hex). */
  | { kind: 'valid'; keyDigest: string };

export type JoinReply =
  | { code: 'CREATED' | 'EXISTING'; session: SessionRecord }
  | { code: 'RATE_LIMITED'; retryAfterMs: number }
  | { code: 'SHARDS'; shards: number }
  | {
      code:
        | 'EVENT_NOT_FOUND'
        | 'EVENT_CLOSED'
        | 'OUTBOX_FULL'
        | 'PROOF_REQUIRED'
        | 'PROOF_INVALID'
        | 'IDENTITY_REQUIRED'
        | 'IDENTITY_INVALID';
    };

/** join-12.lua */
export const joinScript = defineScript({
  file: 'join',
  replicated: true,
  build: ({ keys, proof = { kind: 'none' }, identity = { kind: 'none' }, ...input }: JoinInput) => ({
    keys: [
      keys.config,
      keys.queue,
      keys.sequence,
      keys.user(input.userId),
      keys.stats,
      keys.outbox,
      keys.heartbeats,
      keys.joinRateLimit(input.clientAddress),
      keys.pace,
      keys.flow,
      keys.usedProof(proof.kind === 'valid' ? proof.id : ''),
      keys.active,
    ],
    args: [
      input.memberId,
      keys.sessionPrefix,
      input.userId,
      input.priority,
      input.messageId,
      input.outboxLimit,
      input.joinsPerMinute,
      proof.kind,
      proof.kind === 'valid' ? Math.max(1, Math.ceil(proof.ttlMs)) : 0,
      identity.kind === 'valid' ? `valid:${identity.keyDigest}` : identity.kind,
      input.shards,
      input.score ?? '',
      input.aheadElsewhere ?? 0,
      input.joinsSinceFrom ?? '',
      input.configUpdatedAt ?? '',
    ],
  }),
  parse: (reply, { keys }): JoinReply => {
    const [code, ...rest] = replyArray('join', reply);
    switch (code) {
      case 'CREATED':
      case 'EXISTING':
        return { code, session: parseSessionReply(keys.eventId, reply as (string | number)[]) };
      case 'RATE_LIMITED':
        return { code, retryAfterMs: replyNumber('join', rest[0]) };
      case 'SHARDS':
        return { code, shards: replyNumber('join', rest[0]) };
      case 'EVENT_NOT_FOUND':
      case 'EVENT_CLOSED':
      case 'OUTBOX_FULL':
      case 'PROOF_REQUIRED':
      case 'PROOF_INVALID':
      case 'IDENTITY_REQUIRED':
      case 'IDENTITY_INVALID':
        return { code };
      default:
        throw new UnexpectedScriptReply('join', reply);
    }
  },
});

/** get-session-5.lua: the session with its live position (and, for a queued one, its heartbeat). */
export const getSessionScript = defineScript({
  file: 'get-session',
  build: ({ keys, memberId }: { keys: EventKeys; memberId: string }) => ({
    keys: [keys.session(memberId), keys.config, keys.queue, keys.heartbeats, keys.pace],
    args: [memberId],
  }),
  parse: (reply, { keys }): SessionRecord | null => {
    const [code] = replyArray('get-session', reply);
    if (code === 'NOT_FOUND') return null;
    if (code !== 'OK') throw new UnexpectedScriptReply('get-session', reply);
    return parseSessionReply(keys.eventId, reply as (string | number)[]);
  },
});

export type EndReply = { code: 'NOT_FOUND' } | { code: 'CHANGED' | 'UNCHANGED'; status: SessionStatus };

/** leave-8.lua */
export const leaveScript = defineScript({
  file: 'leave',
  replicated: true,
  build: (input: { keys: EventKeys; memberId: string; messageId: string; retentionSeconds: number }) => ({
    keys: [
      input.keys.session(input.memberId),
      input.keys.queue,
      input.keys.active,
      input.keys.heartbeats,
      input.keys.stats,
      input.keys.outbox,
      input.keys.flow,
      input.keys.endedCheckouts,
    ],
    args: [input.memberId, input.keys.userPrefix, input.messageId, input.retentionSeconds],
  }),
  parse: (reply): EndReply => {
    const [code, status] = replyArray('leave', reply);
    if (code === 'NOT_FOUND') return { code };
    if (code === 'LEFT') return { code: 'CHANGED', status: 'left' };
    if (code === 'UNCHANGED') return { code, status: status as SessionStatus };
    throw new UnexpectedScriptReply('leave', reply);
  },
});

export type CheckoutOutcome = 'completed' | 'failed' | 'expired';

/** finish-checkout-5.lua */
export const finishCheckoutScript = defineScript({
  file: 'finish-checkout',
  replicated: true,
  build: (input: {
    keys: EventKeys;
    memberId: string;
    outcome: CheckoutOutcome;
    messageId: string;
    retentionSeconds: number;
  }) => ({
    keys: [
      input.keys.session(input.memberId),
      input.keys.active,
      input.keys.stats,
      input.keys.outbox,
      input.keys.endedCheckouts,
    ],
    args: [input.memberId, input.outcome, input.keys.userPrefix, input.messageId, input.retentionSeconds],
  }),
  parse: (reply): EndReply => {
    const [code, status] = replyArray('finish-checkout', reply);
    if (code === 'NOT_FOUND') return { code };
    if (code === 'APPLIED') return { code: 'CHANGED', status: status as SessionStatus };
    if (code === 'UNCHANGED') return { code, status: status as SessionStatus };
    throw new UnexpectedScriptReply('finish-checkout', reply);
  },
});

type UpsertEventReply =
  | { code: 'CREATED' | 'UPDATED'; hash: Record<string, string>; shardsBefore: number }
  | { code: 'DRAW_FIXED' | 'SHARDS_FIXED'; reason: string };

/** Who made an admin change, for its audit entry, and how many entries the event's log keeps. */
export interface AuditInput {
  actor: string;
  auditCap: number;
}

/**
 * upsert-event-3.lua: `fields` are config hash field/value pairs; '' removes a field. `seed` is
 * kept unless the event is new or turns shuffle_at_open on; changes that would break the
 * published pre-queue draw are refused (DRAW_FIXED). The change is recorded in the audit log.
 */
export const upsertEventScript = defineScript({
  file: 'upsert-event',
  replicated: true,
  build: (input: { keys: EventKeys; seed: string; fields: string[] } & AuditInput) => ({
    keys: [input.keys.config, input.keys.sequence, input.keys.audit],
    args: [input.seed, input.actor, input.auditCap, ...input.fields],
  }),
  parse: (reply): UpsertEventReply => {
    const [code, detail, shardsBefore] = replyArray('upsert-event', reply);
    if (code === 'DRAW_FIXED' || code === 'SHARDS_FIXED') return { code, reason: String(detail) };
    if (code !== 'CREATED' && code !== 'UPDATED') throw new UnexpectedScriptReply('upsert-event', reply);
    return { code, hash: pairsToRecord(detail), shardsBefore: Number(shardsBefore || 1) };
  },
});

export type DrawReply =
  | { code: 'NOT_FOUND' | 'NO_DRAW' }
  /** `revealed`: opens_at has passed by Redis's clock, so the seed may be published. */
  | { code: 'DRAW'; opensAtMs: number | null; seed: string; revealed: boolean };

/** draw-1.lua: an event's pre-queue draw and whether its seed may be revealed yet. */
export const drawScript = defineScript({
  file: 'draw',
  build: ({ keys }: { keys: EventKeys }) => ({ keys: [keys.config], args: [] }),
  parse: (reply): DrawReply => {
    const [code, opensAt, seed, revealed] = replyArray('draw', reply);
    if (code === 'NOT_FOUND' || code === 'NO_DRAW') return { code };
    if (code !== 'DRAW' || typeof seed !== 'string') throw new UnexpectedScriptReply('draw', reply);
    return {
      code,
      opensAtMs: opensAt === '' ? null : replyNumber('draw', opensAt),
      seed,
      revealed: revealed === 1,
    };
  },
});

export interface EventSnapshot {
  configHash: Record<string, string>;
  queueLength: number;
  activeCount: number;
  statsHash: Record<string, string>;
  /** People admitted per second, smoothed; null until measured. */
  admissionRatePerSecond: number | null;
}

/** event-stats-5.lua: one consistent read of an event; null if it does not exist. */
export const eventStatsScript = defineScript({
  file: 'event-stats',
  build: ({ keys }: { keys: EventKeys }) => ({
    keys: [keys.config, keys.queue, keys.active, keys.stats, keys.pace],
    args: [],
  }),
  parse: (reply): EventSnapshot | null => {
    if (!Array.isArray(reply)) throw new UnexpectedScriptReply('event-stats', reply);
    if (reply.length === 0) return null;
    const [config, queueLength, activeCount, stats, rate] = reply as unknown[];
    return {
      configHash: pairsToRecord(config),
      queueLength: replyNumber('event-stats', queueLength),
      activeCount: replyNumber('event-stats', activeCount),
      statsHash: pairsToRecord(stats),
      admissionRatePerSecond: rate === '' || rate === null ? null : replyNumber('event-stats', rate),
    };
  },
});

export type RemoveEventReply =
  { code: 'NOT_FOUND' } | { code: 'NOT_CLOSED'; state: string } | { code: 'MORE' | 'REMOVED'; ended: number };

/** remove-event-11.lua: one bounded slice of removing a closed event (the last one audited). */
export const removeEventScript = defineScript({
  file: 'remove-event',
  replicated: true,
  build: (
    input: {
      keys: EventKeys;
      retentionSeconds: number;
      sessionsPerCall: number;
      messageIdPrefix: string;
    } & AuditInput,
  ) => ({
    keys: [
      input.keys.config,
      input.keys.queue,
      input.keys.active,
      input.keys.heartbeats,
      input.keys.stats,
      input.keys.outbox,
      input.keys.sequence,
      input.keys.pace,
      input.keys.history,
      input.keys.flow,
      input.keys.audit,
    ],
    args: [
      input.keys.sessionPrefix,
      input.keys.userPrefix,
      input.retentionSeconds,
      input.sessionsPerCall,
      input.messageIdPrefix,
      input.actor,
      input.auditCap,
    ],
  }),
  parse: (reply): RemoveEventReply => {
    const [code, detail] = replyArray('remove-event', reply);
    if (code === 'NOT_FOUND') return { code };
    if (code === 'NOT_CLOSED') return { code, state: String(detail) };
    if (code === 'MORE' || code === 'REMOVED') return { code, ended: replyNumber('remove-event', detail) };
    throw new UnexpectedScriptReply('remove-event', reply);
  },
});

export type SoldOutReply = { code: 'NOT_FOUND' } | { code: 'MORE' | 'DONE'; ended: number };

/**
 * sold-out-7.lua: one bounded slice of a sold-out: the event closed, the message set when
 * `message` is given (null clears it), up to `sessionsPerCall` queued sessions ended; the
 * request's first slice records it in the audit log.
 */
export const soldOutScript = defineScript({
  file: 'sold-out',
  replicated: true,
  build: (
    input: {
      keys: EventKeys;
      retentionSeconds: number;
      sessionsPerCall: number;
      messageIdPrefix: string;
      message?: string | null;
      firstSlice: boolean;
      /** A shard other than 0 of a sharded event: its queue ends; its config copy is shard 0's to change. */
      copy?: boolean;
    } & AuditInput,
  ) => ({
    keys: [
      input.keys.config,
      input.keys.queue,
      input.keys.heartbeats,
      input.keys.stats,
      input.keys.outbox,
      input.keys.flow,
      input.keys.audit,
    ],
    args: [
      input.keys.sessionPrefix,
      input.keys.userPrefix,
      input.retentionSeconds,
      input.sessionsPerCall,
      input.messageIdPrefix,
      input.message === undefined ? '0' : '1',
      input.message ?? '',
      input.actor,
      input.auditCap,
      input.firstSlice ? '1' : '0',
      input.copy ? '1' : '0',
    ],
  }),
  parse: (reply): SoldOutReply => {
    const [code, detail] = replyArray('sold-out', reply);
    if (code === 'NOT_FOUND') return { code };
    if (code === 'MORE' || code === 'DONE') return { code, ended: replyNumber('sold-out', detail) };
    throw new UnexpectedScriptReply('sold-out', reply);
  },
});

/** A streamed session with the event's progress at the same moment (stream-session-6.lua). */
export interface StreamedSession {
  session: SessionRecord;
  /** Queue score while queued, else null. */
  score: number | null;
  admittedTotal: number;
  idleTimeoutSeconds: number | null;
  flowPairs: unknown[];
}

/** stream-session-6.lua */
export const streamSessionScript = defineScript({
  file: 'stream-session',
  build: ({ keys, memberId }: { keys: EventKeys; memberId: string }) => ({
    keys: [keys.session(memberId), keys.config, keys.queue, keys.pace, keys.stats, keys.flow],
    args: [memberId],
  }),
  parse: (reply, { keys }): StreamedSession | null => {
    const items = replyArray('stream-session', reply);
    if (items[0] === 'NOT_FOUND') return null;
    if (items[0] !== 'OK' || items.length !== 20) throw new UnexpectedScriptReply('stream-session', reply);
    const [score, admittedTotal, idle, flow, leftReason, message] = items.slice(14);
    return {
      session: parseSessionReply(keys.eventId, [...items.slice(0, 14), leftReason, message] as (
        string | number
      )[]),
      score: score === '' || score === null ? null : replyNumber('stream-session', score),
      admittedTotal: replyNumber('stream-session', admittedTotal),
      idleTimeoutSeconds: idle === '' ? null : replyNumber('stream-session', idle),
      flowPairs: Array.isArray(flow) ? flow : [],
    };
  },
});

/** One event's progress for the streams of one instance (event-progress-6.lua). */
export interface EventProgress {
  admittedTotal: number;
  queueLength: number;
  admissionRatePerSecond: number | null;
  state: EventState;
  opensAtMs: number | null;
  idleTimeoutSeconds: number | null;
  flowPairs: unknown[];
  /** When this event was created (null: not recorded). */
  createdAtMs: number | null;
  /**
   * Checkouts that ended from the asked instant on (the gate's revocations): member ids and when
   * each ended, in that order; empty when none were asked for.
   */
  endedCheckouts: { member: string; endedAtMs: number }[];
  /** How long an ended checkout is remembered (includes/checkout-end.lua); null before the first. */
  endedKeepMs: number | null;
  /** The operator's current message to the event's waiting people, or null. */
  message: string | null;
  /** The event's number of shards (this progress is one shard's when above 1). */
  shards: number;
}

/**
 * event-progress-6.lua; null if the event does not exist. `endedSinceMs`: also the checkouts
 * that ended from then on (the gate's); absent, none are read.
 */
export const eventProgressScript = defineScript({
  file: 'event-progress',
  build: ({ keys, endedSinceMs }: { keys: EventKeys; endedSinceMs?: number }) => ({
    keys: [keys.config, keys.queue, keys.stats, keys.pace, keys.flow, keys.endedCheckouts],
    args: [endedSinceMs === undefined ? '' : Math.max(0, Math.floor(endedSinceMs))],
  }),
  parse: (reply): EventProgress | null => {
    if (!Array.isArray(reply)) throw new UnexpectedScriptReply('event-progress', reply);
    if (reply.length === 0) return null;
    const [admitted, queueLength, rate, state, opensAt, idle, flow, createdAt, ended, keep, message, shards] =
      reply as unknown[];
    const optional = (value: unknown) =>
      value === '' || value === null || value === undefined ? null : replyNumber('event-progress', value);
    const endedCheckouts: { member: string; endedAtMs: number }[] = [];
    if (Array.isArray(ended)) {
      for (let i = 0; i + 1 < ended.length; i += 2)
        endedCheckouts.push({
          member: String(ended[i]),
          endedAtMs: replyNumber('event-progress', ended[i + 1]),
        });
    }
    return {
      admittedTotal: replyNumber('event-progress', admitted),
      queueLength: replyNumber('event-progress', queueLength),
      admissionRatePerSecond: optional(rate),
      state: String(state) as EventState,
      opensAtMs: optional(opensAt),
      idleTimeoutSeconds: optional(idle),
      flowPairs: Array.isArray(flow) ? flow : [],
      createdAtMs: optional(createdAt),
      endedCheckouts,
      endedKeepMs: optional(keep),
      message: typeof message === 'string' && message !== '' ? message : null,
      shards: optional(shards) ?? 1,
    };
  },
});

/** HGET of the config's identity_jwk: the text of the event's identity key ('' or null: none). */
export const identityJwkCommand = defineCommand({
  command: 'HGET',
  build: ({ keys }: { keys: EventKeys }) => ({ keys: [keys.config], args: ['identity_jwk'] }),
  parse: (reply): string | null => (typeof reply === 'string' && reply !== '' ? reply : null),
});

/** heartbeat-1.lua: refreshes the heartbeats of queued sessions streamed by one instance. */
export const heartbeatScript = defineScript({
  file: 'heartbeat',
  build: ({ keys, memberIds }: { keys: EventKeys; memberIds: string[] }) => ({
    keys: [keys.heartbeats],
    args: memberIds,
  }),
  parse: (reply) => replyNumber('heartbeat', reply),
});

/**
 * SET NX GET of the session ticket key: the secret already in Redis, or `candidate` written if
 * there is none yet. Concurrent first starts agree on one, in one round trip. Also what the
 * benchmarks' servers use, so they sign the same kind of ids as the service.
 */
export const sessionTicketKeyCommand = defineCommand({
  command: 'SET',
  build: ({ key, candidate }: { key: string; candidate: Buffer }) => ({
    keys: [key],
    args: [candidate.toString('base64url'), 'NX', 'GET'],
  }),
  parse: (reply, { candidate }): Buffer => {
    if (reply === null) return candidate;
    if (typeof reply !== 'string') throw new UnexpectedScriptReply('session-ticket-key', reply);
    return Buffer.from(reply, 'base64url');
  },
});

export type AuditReadReply = { code: 'NOT_FOUND' } | { code: 'OK'; entries: string[] };

/** audit-read-2.lua: the newest `limit` entries of the event's audit log (JSON text each). */
export const auditReadScript = defineScript({
  file: 'audit-read',
  build: ({ keys, limit }: { keys: EventKeys; limit: number }) => ({
    keys: [keys.config, keys.audit],
    args: [limit],
  }),
  parse: (reply): AuditReadReply => {
    const [code, ...entries] = replyArray('audit-read', reply);
    if (code === 'NOT_FOUND') return { code };
    if (code !== 'OK') throw new UnexpectedScriptReply('audit-read', reply);
    return { code, entries: entries.map(String) };
  },
});
