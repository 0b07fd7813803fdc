import { randomBytes } from 'node:crypto';

/**
 * A session id is `<event_id>~<member>`: the event it belongs to, then 128 random bits
 * (base64url). The random part makes it an unguessable capability; the event part lets one
 * lookup find the session without a global index, which on a Redis Cluster would sit in
 * another slot than the event's keys (docs/decisions/0004-redis-key-layout.md).
 * `~` cannot appear in an event id, so the split is unambiguous.
 */
export interface SessionRef {
  eventId: string;
  member: string;
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

export function formatSessionId(ref: SessionRef): string {
  return `${ref.eventId}~${ref.member}`;
}

/** Parses a session id; anything malformed is simply unknown (null), never an error. */
export function parseSessionId(sessionId: string): SessionRef | null {
  const split = sessionId.lastIndexOf('~');
  if (split <= 0) return null;
  const eventId = sessionId.slice(0, split);
  const member = sessionId.slice(split + 1);
  if (eventId.length > 64 || !EVENT_ID_PATTERN.test(eventId) || !MEMBER_PATTERN.test(member)) return null;
  return { eventId, member };
}
