import { eventOfScope } from '../../redis/redis-keys';
import {
  MESSAGE_ID_HEADER,
  Topics,
  type LeaveReason,
  type ProducedTopic,
  type QueueJoinedMessage,
  type QueueLeftMessage,
  type QueueReadyMessage,
} from '@waitroom/contracts';
import { isoTime } from '../../common/iso-time';
import { formatSessionId } from '../../queue/session-id';
import type { AdmissionClaims } from '../../tokens/admission-token-signer';
import type { OutgoingRecord } from './kafka-publisher';
import type { OutboxEntry } from './outbox-entry';

/** What signs QUEUE_READY's admission token (AdmissionTokenSigner). */
interface TokenSigner {
  sign(claims: AdmissionClaims): string;
}

const KNOWN_KINDS = new Set(['joined', 'left', 'ready']);

/** Outbox fields hold times as epoch-ms text. */
const iso = (ms: string) => isoTime(Number(ms));

/**
 * Turns an outbox entry (compact fields written by Lua, times in ms) into the contract message
 * of shared CONTRACT.md. QUEUE_READY's token is signed here: Ed25519 is deterministic, so the
 * token equals the one GET /sessions/:id returns. `timestamp` is when the state changed, so a
 * re-published message is byte-identical to the first one.
 */
function toContractMessage(
  eventId: string,
  fields: Record<string, string>,
  signer: TokenSigner,
): { topic: ProducedTopic; body: QueueJoinedMessage | QueueLeftMessage | QueueReadyMessage } {
  // Refused before anything is computed from the other fields, so the quarantine says why.
  if (!KNOWN_KINDS.has(fields.k)) throw new Error(`outbox entry of unknown kind ${fields.k}`);
  // Each body is one object literal (no spread of a shared base): this runs for every message
  // the relay publishes, and the profile showed the intermediate objects.
  // The id the person holds: rebuilt from the session's ticket basis (session-ticket.ts).
  const sessionId = formatSessionId(
    { eventId, member: fields.s },
    fields.b
      ? { userId: fields.u, priority: Number(fields.p), joinedAtMs: Number(fields.j), baseline: fields.b }
      : undefined,
  );
  const at = iso(fields.at);
  switch (fields.k) {
    case 'joined':
      return {
        topic: Topics.QUEUE_JOINED,
        body: {
          message_id: fields.m,
          session_id: sessionId,
          user_id: fields.u,
          event_id: eventId,
          priority: Number(fields.p),
          position: Number(fields.pos),
          joined_at: at,
          timestamp: at,
        },
      };
    case 'left':
      return {
        topic: Topics.QUEUE_LEFT,
        body: {
          message_id: fields.m,
          session_id: sessionId,
          user_id: fields.u,
          event_id: eventId,
          reason: fields.r as LeaveReason,
          left_at: at,
          timestamp: at,
        },
      };
    case 'ready': {
      const admission_token = signer.sign({
        sessionId,
        eventId,
        userId: fields.u,
        admittedAtMs: Number(fields.at),
        expiresAtMs: Number(fields.eat),
      });
      return {
        topic: Topics.QUEUE_READY,
        body: {
          message_id: fields.m,
          session_id: sessionId,
          user_id: fields.u,
          event_id: eventId,
          admitted_at: at,
          expires_at: iso(fields.eat),
          admission_token,
          timestamp: at,
        },
      };
    }
    default:
      throw new Error(`outbox entry of unknown kind ${fields.k}`);
  }
}

/** A contract message ready to send: its topic, its JSON and its id. */
export interface OutboxMessage {
  topic: ProducedTopic;
  value: string;
  messageId: string;
}

/** The message of an outbox entry; throws when this version cannot read the entry. */
function toOutboxMessage(
  eventId: string,
  fields: Record<string, string>,
  signer: TokenSigner,
): OutboxMessage {
  const { topic, body } = toContractMessage(eventId, fields, signer);
  return { topic, value: JSON.stringify(body), messageId: body.message_id };
}

type OutboxRecord = OutgoingRecord & { key: string; value: string };

/**
 * The Kafka record of an event's message: keyed by the event id (one partition per event keeps
 * its order), the contract body as JSON, and the message id also as a header for consumers that
 * dedupe without parsing.
 */
export function toKafkaRecord(scope: string, message: OutboxMessage): OutboxRecord {
  return {
    topic: message.topic,
    // Kafka keys are event ids, whichever shard's outbox the message comes from.
    key: eventOfScope(scope),
    value: message.value,
    headers: { [MESSAGE_ID_HEADER]: message.messageId },
  };
}

/** The Kafka record of an outbox entry. */
export function toOutboxRecord(
  eventId: string,
  fields: Record<string, string>,
  signer: TokenSigner,
): OutboxRecord {
  return toKafkaRecord(eventId, toOutboxMessage(eventId, fields, signer));
}

/** An outbox entry this version cannot turn into a message, and why: it goes to the quarantine. */
export interface UnreadableEntry {
  id: string;
  reason: string;
}

/** A batch of an event's outbox entries as messages. */
export interface OutboxBatch {
  messages: OutboxMessage[];
  /** Entries read, readable or not: a full batch means more may be waiting. */
  size: number;
  /** The newest entry's id: the next batch starts after it, and the trim goes up to it. */
  lastId: string;
  unreadable: UnreadableEntry[];
}

/** Maps a batch of entries (oldest first); one that cannot be mapped is listed, never thrown. */
export function toOutboxBatch(
  scope: string,
  entries: OutboxEntry[],
  signer: TokenSigner,
): OutboxBatch | null {
  if (entries.length === 0) return null;
  // A shard's outbox (a sharded event's) holds its event's messages, named and keyed by the event.
  const eventId = eventOfScope(scope);
  const messages: OutboxMessage[] = [];
  const unreadable: UnreadableEntry[] = [];
  for (const entry of entries) {
    try {
      messages.push(toOutboxMessage(eventId, entry.fields, signer));
    } catch (error) {
      unreadable.push({ id: entry.id, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { messages, size: entries.length, lastId: entries[entries.length - 1].id, unreadable };
}
