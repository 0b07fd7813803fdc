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
const MEMBER_PATTERN = /^[A-Za-z0-9_-]{22}$/;

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
