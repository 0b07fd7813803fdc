import {
  MESSAGE_ID_HEADER,
  Topics,
  type LeaveReason,
  type ProducedTopic,
  type QueueJoinedMessage,
  type QueueLeftMessage,
  type QueueReadyMessage,
} from '@waitroom/contracts';
import { isoTime } from '../common/iso-time';
import { formatSessionId } from '../waitroom/session-id';
import type { AdmissionClaims } from '../tokens/admission-token.service';
import type { OutgoingRecord } from './kafka-publisher';

/** What signs QUEUE_READY's admission token (AdmissionTokenService). */
export interface TokenSigner {
  sign(claims: AdmissionClaims): string;
}

/** Outbox fields hold times as epoch-ms text. */
const iso = (ms: string) => isoTime(Number(ms));

/**
 * Turns an outbox entry (compact fields written by Lua, times in ms) into the contract message
 * of shared CONTRACT.md. QUEUE_READY's token is signed here: Ed25519 is deterministic, so the
 * token equals the one GET /sessions/:id returns. `timestamp` is when the state changed, so a
 * re-published message is byte-identical to the first one.
 */
export function toContractMessage(
  eventId: string,
  fields: Record<string, string>,
  signer: TokenSigner,
): { topic: ProducedTopic; body: QueueJoinedMessage | QueueLeftMessage | QueueReadyMessage } {
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

/**
 * The Kafka record of an outbox entry: keyed by the event id (one partition per event keeps its
 * order), the contract body as JSON, and the message id also as a header for consumers that
 * dedupe without parsing.
 */
export function toOutboxRecord(
  eventId: string,
  fields: Record<string, string>,
  signer: TokenSigner,
): OutgoingRecord & { key: string; value: string } {
  const { topic, body } = toContractMessage(eventId, fields, signer);
  return {
    topic,
    key: eventId,
    value: JSON.stringify(body),
    headers: { [MESSAGE_ID_HEADER]: body.message_id },
  };
}
