import {
  ArgumentsHost,
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ExceptionFilter,
} from '@nestjs/common';
import type { ErrorBody as ContractErrorBody } from '@waitroom/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { throwError, type Observable } from 'rxjs';
import { DomainError } from '../common/domain-error';
import { HTTP_STATUS_OF_CODE, isErrorCode, type ErrorCode } from './error-status';
import { describeSchemaErrors } from './validation';

/** The contract's error body, its code one this service defines. */
export interface ErrorBody extends ContractErrorBody {
  code: ErrorCode;
}

/**
 * The one place errors become HTTP responses: `{status, code, message, errors?}`.
 * Domain errors keep their code; framework errors (bad JSON, body too large, unknown route)
 * get one; anything else is a 500 whose details go to the log, never to the client.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    // Kafka handlers: let the error reach kafkajs, which then does not commit the offset and retries.
    if (host.getType() !== 'http') return throwError(() => exception);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    // A deliberate 5xx HttpException (terminus's 503 with the probe report) keeps its own body.
    if (exception instanceof HttpException && exception.getStatus() >= 500) {
      void reply.status(exception.getStatus()).send(exception.getResponse());
      return;
    }
    const { body, retryAfterSeconds } = errorResponse(exception, request.id, this.logger);
    if (retryAfterSeconds !== undefined) void reply.header('Retry-After', String(retryAfterSeconds));
    void reply.status(body.status).send(body);
  }
}

/**
 * The response for an error: the body in the one shape and, for 429 and 503, Retry-After. Used by
 * the filter and by the join fast lane (join-fast-lane.ts), which answers outside Nest.
 */
export function errorResponse(
  exception: unknown,
  requestId: string,
  logger: Pick<Logger, 'error'>,
): { body: ErrorBody; retryAfterSeconds?: number } {
  const code: unknown = exception instanceof DomainError ? exception.code : undefined;
  if (exception instanceof DomainError && typeof code === 'string' && isErrorCode(code)) {
    const body: ErrorBody = {
      status: HTTP_STATUS_OF_CODE[code],
      code,
      message: exception.message,
    };
    if (exception.details.length > 0) body.errors = exception.details;
    return { body, retryAfterSeconds: exception.retryAfterSeconds };
  }
  if (isSchemaValidationError(exception)) {
    const body: ErrorBody = { status: 400, code: 'VALIDATION_FAILED', message: 'the request is invalid' };
    body.errors = describeSchemaErrors(exception.validation);
    return { body };
  }
  const status = statusOf(exception);
  if (status !== undefined && status < 500) {
    const message = exception instanceof Error ? exception.message : 'the request is invalid';
    return { body: errorBodyForStatus(status, message) };
  }
  // The stack goes to the log with the request id, never to the client.
  logger.error(
    `request ${requestId}: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`,
  );
  return { body: { status: 500, code: 'INTERNAL_ERROR', message: 'internal error' } };
}

/** Fastify's error for a body that fails a route's JSON schema (the join body). */
function isSchemaValidationError(
  exception: unknown,
): exception is { validation: Parameters<typeof describeSchemaErrors>[0] } {
  return (
    typeof exception === 'object' &&
    exception !== null &&
    Array.isArray((exception as { validation?: unknown }).validation)
  );
}

/** Status of a Nest HttpException or a Fastify error (FST_ERR_CTP_INVALID_JSON carries statusCode 400). */
function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  if (typeof exception === 'object' && exception !== null && 'statusCode' in exception) {
    const status = Number(exception.statusCode);
    if (Number.isInteger(status) && status >= 400 && status < 600) return status;
  }
  return undefined;
}

/**
 * The body of a 4xx the framework (Fastify, Node's HTTP parser) raised, in the one shape. Also
 * used outside Nest (common/framework-errors.ts) for what fails before a request is routed.
 */
export function errorBodyForStatus(status: number, message: string): ErrorBody {
  return { status, code: codeForStatus(status), message };
}

/** Every 4xx the framework raises that has a code of its own; other 4xx are VALIDATION_FAILED. */
const CODE_FOR_STATUS: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [HttpStatus.UNAUTHORIZED, 'UNAUTHORIZED'],
  [HttpStatus.NOT_FOUND, 'ROUTE_NOT_FOUND'],
  [HttpStatus.REQUEST_TIMEOUT, 'REQUEST_TIMEOUT'],
  [HttpStatus.PAYLOAD_TOO_LARGE, 'PAYLOAD_TOO_LARGE'],
  [HttpStatus.URI_TOO_LONG, 'URI_TOO_LONG'],
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_MEDIA_TYPE'],
  [HttpStatus.TOO_MANY_REQUESTS, 'RATE_LIMITED'],
  // Missing from Nest's HttpStatus; Node's HTTP parser answers it for oversized headers.
  [431, 'HEADERS_TOO_LARGE'],
]);

function codeForStatus(status: number): ErrorCode {
  return CODE_FOR_STATUS.get(status) ?? 'VALIDATION_FAILED';
}
