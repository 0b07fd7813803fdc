import { DomainError } from '../common/domain-error';

export type GateErrorCode =
  /** The gate's 401: the request holds no valid pass for the event (it carries Location to the waiting page). */
  'PASS_REQUIRED';

export class GateError extends DomainError<GateErrorCode> {}
