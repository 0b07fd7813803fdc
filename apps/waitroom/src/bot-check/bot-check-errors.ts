import { DomainError } from '../common/domain-error';

export type BotCheckErrorCode =
  /** The event's bot check wants a solved proof-of-work challenge with the join (bot_check). */
  | 'PROOF_REQUIRED'
  /** The proof is malformed, wrongly signed, expired, for another event or already used. */
  | 'PROOF_INVALID';

export class BotCheckError extends DomainError<BotCheckErrorCode> {}
