/**
 * Errors with a stable code. Services throw these; the one HTTP exception filter
 * (common/http-exception.filter.ts) maps each code to a status, and never leaks internals.
 */
export const ErrorCodes = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  PRIORITY_NOT_ALLOWED: 403,
  /** The event's bot check wants a solved proof-of-work challenge with the join (bot_check). */
  PROOF_REQUIRED: 403,
  /** The proof is malformed, wrongly signed, expired, for another event or already used. */
  PROOF_INVALID: 403,
  EVENT_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  EVENT_CLOSED: 409,
  EVENT_NOT_CLOSED: 409,
  /** A config change that would break the published pre-queue draw (upsert-event-2.lua). */
  DRAW_FIXED: 409,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL_ERROR: 500,
  STORE_UNAVAILABLE: 503,
  OUTBOX_FULL: 503,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: string[] = [],
    /** Seconds, sent as Retry-After (429 and 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export const eventNotFound = (eventId: string) =>
  new DomainError('EVENT_NOT_FOUND', `event ${eventId} does not exist`);
export const sessionNotFound = () =>
  new DomainError('SESSION_NOT_FOUND', 'session not found (unknown or purged)');
