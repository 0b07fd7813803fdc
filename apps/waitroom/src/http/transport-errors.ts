import { DomainError } from '../common/domain-error';

/** Refusals of the HTTP layer itself: before a request reaches a use case, or when none matches it. */
export type TransportErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'ROUTE_NOT_FOUND'
  | 'REQUEST_TIMEOUT'
  | 'PAYLOAD_TOO_LARGE'
  | 'URI_TOO_LONG'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'HEADERS_TOO_LARGE'
  | 'INTERNAL_ERROR';

export class TransportError extends DomainError<TransportErrorCode> {}
