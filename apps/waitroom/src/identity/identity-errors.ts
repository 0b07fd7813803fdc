import { DomainError } from '../common/domain-error';

export type IdentityErrorCode =
  /** The event has join_identity_jwk and the join carries no identity_token. */
  | 'IDENTITY_REQUIRED'
  /** The identity_token is not a valid one of the event's key for this user and event. */
  | 'IDENTITY_INVALID';

export class IdentityError extends DomainError<IdentityErrorCode> {}
