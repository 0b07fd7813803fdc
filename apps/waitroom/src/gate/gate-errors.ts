import { DomainError } from '../common/domain-error';

export type GateErrorCode =
  /** The gate's 401: the request holds no valid pass for the event (it carries Location to the waiting page). */
  | 'PASS_REQUIRED'
  /** The event has join_identity_jwk and the join carries no identity_token. */
  | 'IDENTITY_REQUIRED'
  /** The identity_token is not a valid one of the event's key for this user and event. */
  | 'IDENTITY_INVALID';

export class GateError extends DomainError<GateErrorCode> {}
