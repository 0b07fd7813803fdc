/**
 * An error with a stable code. Each module defines its own codes and error class beside its code
 * (queue/queue-errors.ts, bot-check/bot-check-errors.ts, redis/store-errors.ts,
 * http/transport-errors.ts); the one exception filter turns a code into an HTTP status through
 * http/error-status.ts, and never leaks internals.
 */
export abstract class DomainError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details: string[] = [],
    /** Seconds, sent as Retry-After (429 and 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Input that breaks a rule: a field that failed validation, wherever it was checked. */
export class InvalidInputError extends DomainError<'VALIDATION_FAILED'> {
  constructor(details: string[], message = 'the request is invalid') {
    super('VALIDATION_FAILED', message, details);
  }
}
