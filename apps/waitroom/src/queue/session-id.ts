import { randomBytes } from 'node:crypto';
import { encodeTicket, looksLikeTicket, type TicketBasis } from './session-ticket';

/**
 * A session id is `<event_id>~<member>~<ticket>`: the event it belongs to, then 128 random bits
 * (base64url), then the queue ticket status polls are answered from (session-ticket.ts). The
 * random part makes it an unguessable capability; the event part lets one lookup find the
 * session without a global index, which on a Redis Cluster would sit in another slot than the
 * event's keys (docs/decisions/0004-redis-key-layout.md). `~` cannot appear in an event id, a
 * member or a ticket, so the split is unambiguous. Ids without a ticket (sessions of events
 * created before tickets, ids issued before them) still name their session.
 */
export interface SessionRef {
  eventId: string;
  member: string;
  /** The ticket as given (not yet verified: decodeTicket does that). */
  ticket?: string;
}

export const EVENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
/** 22 characters of randomness; a session of a sharded event has its shard's character before them. */
const MEMBER_PATTERN = /^[A-Za-z0-9_-]{22,23}$/;
/** The base64url alphabet: a sharded member's first character is its shard's index in it (0..63). */
const SHARD_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Most parts (hash slots) one event's live state can be split into (CONTRACT.md's `shards`). */
export const MAX_SHARDS = SHARD_DIGITS.length;

// randomBytes(16) per join is a synchronous system call each time (visible in the join
// benchmark's profile, docs/benchmarks.md). Draw entropy in 4 KiB blocks instead, as
// crypto.randomUUID does.
const ENTROPY_BLOCK = 4096;
let entropy = Buffer.alloc(0);
let offset = ENTROPY_BLOCK;

export function newMemberId(): string {
  if (offset + 16 > entropy.length) {
    entropy = randomBytes(ENTROPY_BLOCK);
    offset = 0;
  }
  offset += 16;
  return entropy.toString('base64url', offset - 16, offset);
}

/**
 * A member id of one shard of a sharded event (docs/decisions/0023-sharded-events.md): the
 * shard's digit, then 128 random bits as for any member. The id then routes itself: a poll, a
 * leave or a checkout outcome finds the shard's slot without an index, whatever the event's
 * number of shards. Shard 0 of an unsharded event keeps the 22-character ids it always had.
 */
export function newMemberIdInShard(shard: number, shards: number): string {
  return shards > 1 ? SHARD_DIGITS[shard] + newMemberId() : newMemberId();
}

/** The shard a member id lives in (0 for every id of an unsharded event). */
export function shardOfMember(member: string): number {
  return member.length === SHARDED_MEMBER_LENGTH ? SHARD_DIGITS.indexOf(member[0]) : 0;
}

/** The length of a sharded event's member ids (the shard's digit and 22 random characters). */
export const SHARDED_MEMBER_LENGTH = 23;

/**
 * The shard of a user's place in an event of `shards` shards: FNV-1a of the id's UTF-16 code
 * units, so one user always lands in the same shard (one live place per person is one script
 * in one slot) and users spread evenly.
 */
export function shardOfUser(userId: string, shards: number): number {
  if (shards <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/** The id of a session: with its ticket when it has a basis for one (sessions of ticketed events). */
export function formatSessionId(ref: SessionRef, basis?: TicketBasis): string {
  const ticket = basis && encodeTicket(ref.eventId, ref.member, basis);
  return ticket ? `${ref.eventId}~${ref.member}~${ticket}` : `${ref.eventId}~${ref.member}`;
}

/** Parses a session id; anything malformed is simply unknown (null), never an error. */
export function parseSessionId(sessionId: string): SessionRef | null {
  const parts = sessionId.split('~');
  if (parts.length !== 2 && parts.length !== 3) return null;
  const [eventId, member, ticket] = parts;
  if (
    eventId.length === 0 ||
    eventId.length > 64 ||
    !EVENT_ID_PATTERN.test(eventId) ||
    !MEMBER_PATTERN.test(member)
  )
    return null;
  if (ticket === undefined) return { eventId, member };
  return looksLikeTicket(ticket) ? { eventId, member, ticket } : null;
}
