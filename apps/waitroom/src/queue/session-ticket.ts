import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The queue ticket inside a session id (docs/decisions/0014-poll-fast-path.md).
 *
 * A session id is `<event_id>~<member>~<ticket>`. The ticket carries what a status poll needs
 * to be answered without reading the session: the person's user id, priority and join time,
 * and their place at the moment of joining with the event's counters then (the baseline that
 * join-12.lua stores as the session's `b`). An instance turns it, with its per-event progress
 * snapshot, into the place now (queue-flow.ts), and reads Redis only when the snapshot says
 * the session may have changed state.
 *
 * The ticket is `base64url(payload).base64url(mac)`, the mac being the first 96 bits of
 * HMAC-SHA256 over the whole id, keyed by a secret all instances share (session-ticket-key.ts).
 * A forged or damaged ticket is ignored: the member part alone still names the session, which
 * is then read from Redis. Every id is rebuilt from the stored session (user, priority, join
 * time, baseline), so the join reply, GET, the admission token and the Kafka messages name a
 * session by the same string, and a re-join returns the same id.
 */
const MAC_BYTES = 12;
const MAC_LENGTH = 16; // base64url characters of MAC_BYTES
const TICKET_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}$/;

let ticketKey: Buffer | null = null;

/** Set once at start-up (SessionTicketKey); without a key, ids carry no ticket. */
export function useSessionTicketKey(key: Buffer | null): void {
  ticketKey = key;
}

/** The key in use (null before it is loaded): the relay's reader thread signs with the same one. */
export function sessionTicketKeyInUse(): Buffer | null {
  return ticketKey;
}

/** What a session's ticket is made of, as the scripts store and return it. */
export interface TicketBasis {
  userId: string;
  priority: number;
  joinedAtMs: number;
  /** join-12.lua's baseline: "position.admitted_total.bucket.departures_before.joins_before.departures_at.joins_at". */
  baseline: string;
}

/** A verified ticket, decoded. */
export interface SessionTicket {
  userId: string;
  priority: number;
  joinedAtMs: number;
  position: number;
  admittedTotal: number;
  bucket: number;
  departuresBefore: number;
  joinsBefore: number;
  departuresAt: number;
  joinsAt: number;
  /** A sharded event's session: its queue score (the other shards' people ahead are counted by it); else null. */
  score: number | null;
}

/** Seven numbers; a sharded event's session adds its queue score (join-12.lua). */
const BASELINE_PATTERN = /^\d+(?:\.\d+){6,7}$/;

/**
 * A mac is made for every join reply and every message the relay publishes. A plain createHmac
 * over one string is the cheapest form measured: copying pre-keyed hash states (two native
 * objects per mac) and a KeyObject key were both slower.
 */
function mac(key: Buffer, prefix: string, payload: string): string {
  return createHmac('sha256', key)
    .update(prefix + payload)
    .digest()
    .subarray(0, MAC_BYTES)
    .toString('base64url');
}

/** The ticket for a session, or null when it has none (no key, or a session from before tickets). */
export function encodeTicket(eventId: string, member: string, basis: TicketBasis): string | null {
  if (!ticketKey || !BASELINE_PATTERN.test(basis.baseline)) return null;
  const payload = Buffer.from(
    `${basis.priority}.${basis.joinedAtMs.toString(36)}.${basis.baseline}\n${basis.userId}`,
    'utf8',
  ).toString('base64url');
  return `${payload}.${mac(ticketKey, `${eventId}~${member}~`, payload)}`;
}

/** Whether a string is shaped like a ticket (cheap; says nothing about its mac). */
export function looksLikeTicket(ticket: string): boolean {
  return TICKET_PATTERN.test(ticket);
}

/** Verifies and decodes a ticket; null if it is not one this service signed. */
export function decodeTicket(eventId: string, member: string, ticket: string): SessionTicket | null {
  if (!ticketKey) return null;
  const dot = ticket.length - MAC_LENGTH - 1;
  if (dot <= 0 || ticket[dot] !== '.') return null;
  const payload = ticket.slice(0, dot);
  const expected = Buffer.from(mac(ticketKey, `${eventId}~${member}~`, payload));
  const given = Buffer.from(ticket.slice(dot + 1));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const text = Buffer.from(payload, 'base64url').toString('utf8');
  const newline = text.indexOf('\n');
  if (newline < 0) return null;
  const [priority, joinedAt, ...baseline] = text.slice(0, newline).split('.');
  const numbers = baseline.map(Number);
  if ((numbers.length !== 7 && numbers.length !== 8) || numbers.some((n) => !Number.isSafeInteger(n)))
    return null;
  const [position, admittedTotal, bucket, departuresBefore, joinsBefore, departuresAt, joinsAt, score] =
    numbers;
  return {
    userId: text.slice(newline + 1),
    priority: Number(priority),
    joinedAtMs: parseInt(joinedAt, 36),
    position,
    admittedTotal,
    bucket,
    departuresBefore,
    joinsBefore,
    departuresAt,
    joinsAt,
    score: score ?? null,
  };
}
