import { formatSessionId } from './session-id';
import type { EventState, SessionRecord, SessionStatus } from './session';

/** Parses the session shape shared by join-11.lua and get-session-5.lua (after the code). */
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
  ] = reply;
  const optional = (value: string | number) => (value === '' || value === undefined ? null : Number(value));
  return {
    sessionId: formatSessionId({ eventId, member: String(member) }),
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
  };
}
