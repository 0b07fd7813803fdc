import { formatSessionId, SHARDED_MEMBER_LENGTH } from './session-id';
import { leftReasonOf, type EventState, type SessionRecord, type SessionStatus } from './session';

/**
 * Parses the session shape shared by join-12.lua, get-session-5.lua and stream-session-6.lua:
 * 14 values, then (get-session, and stream-session's parser puts them there) the stored
 * left_reason and the event's message; a join's reply has neither.
 */
export function parseSessionReply(eventId: string, reply: (string | number)[]): SessionRecord {
  const [
    ,
    member,
    userId,
    priority,
    status,
    joinedAt,
    admittedAt,
    expiresAt,
    position,
    queueLength,
    rate,
    state,
    opensAt,
    baseline,
    leftReason,
    message,
  ] = reply;
  const optional = (value: string | number) => (value === '' || value === undefined ? null : Number(value));
  return {
    sessionId: formatSessionId(
      { eventId, member: String(member) },
      {
        userId: String(userId),
        priority: Number(priority),
        joinedAtMs: Number(joinedAt),
        baseline: baseline === undefined ? '' : String(baseline),
      },
    ),
    eventId,
    userId: String(userId),
    priority: Number(priority),
    status: status as SessionStatus,
    joinedAtMs: Number(joinedAt),
    admittedAtMs: optional(admittedAt),
    expiresAtMs: optional(expiresAt),
    position: optional(position),
    queueLength: Number(queueLength),
    admissionRatePerSecond: optional(rate),
    eventState: state === '' ? null : (state as EventState),
    opensAtMs: optional(opensAt),
    leftReason: leftReasonOf(status as SessionStatus, leftReason === undefined ? null : String(leftReason)),
    eventMessage: message === undefined || message === '' ? null : String(message),
    // Only a sharded event's member (its shard's digit first) has a score in its baseline.
    score:
      String(member).length === SHARDED_MEMBER_LENGTH && baseline !== undefined
        ? scoreOfBaseline(String(baseline))
        : null,
  };
}

/** The queue score a sharded session's baseline ends with (its 8th field), or null. */
export function scoreOfBaseline(baseline: string): number | null {
  const fields = baseline.split('.');
  return fields.length === 8 ? Number(fields[7]) : null;
}
