import { DomainError } from '../common/domain-error';

export type StoreErrorCode = 'STORE_UNAVAILABLE';

/** Redis unreachable or slower than REDIS_COMMAND_TIMEOUT_MS: try again shortly (503 + Retry-After). */
export class StoreUnavailableError extends DomainError<StoreErrorCode> {
  constructor() {
    super('STORE_UNAVAILABLE', 'the queue store is unavailable, retry shortly', [], 1);
  }
}
