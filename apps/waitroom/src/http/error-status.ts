import type { BotCheckErrorCode } from '../bot-check/bot-check-errors';
import type { GateErrorCode } from '../gate/gate-errors';
import type { IdentityErrorCode } from '../identity/identity-errors';
import type { QueueErrorCode } from '../queue/queue-errors';
import type { StoreErrorCode } from '../redis/store-errors';
import type { TransportErrorCode } from './transport-errors';

/** Every code an answer can carry. */
export type ErrorCode =
  | QueueErrorCode
  | BotCheckErrorCode
  | GateErrorCode
  | IdentityErrorCode
  | StoreErrorCode
  | TransportErrorCode
  | 'VALIDATION_FAILED';

/**
 * The one mapping from an error's code to its HTTP status. A code a module adds without a status
 * here fails the type check.
 */
export const HTTP_STATUS_OF_CODE: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  PASS_REQUIRED: 401,
  FORBIDDEN: 403,
  PRIORITY_NOT_ALLOWED: 403,
  PROOF_REQUIRED: 403,
  PROOF_INVALID: 403,
  IDENTITY_REQUIRED: 403,
  IDENTITY_INVALID: 403,
  EVENT_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  EVENT_CLOSED: 409,
  EVENT_NOT_CLOSED: 409,
  DRAW_FIXED: 409,
  SHARDS_FIXED: 409,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL_ERROR: 500,
  STORE_UNAVAILABLE: 503,
  OUTBOX_FULL: 503,
};

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(HTTP_STATUS_OF_CODE, code);
}
