import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorBodyForStatus } from './http-exception.filter';

/**
 * Errors raised before Nest sees a request, answered in the one error shape instead of
 * Fastify's `{statusCode, error, message}`. Wired in bootstrap.ts as Fastify server options.
 */

/**
 * The longest path parameter the router takes. Every id we issue is shorter: a session id with
 * its ticket is at most about 890 characters (a 64-character event id, and a user id of 128
 * four-byte characters inside the ticket: session-ticket.ts).
 */
export const MAX_PATH_PARAM_LENGTH = 1024;

/**
 * Fastify's `frameworkErrors`: the router's refusals (a path that is not valid percent-encoding,
 * a path parameter over MAX_PATH_PARAM_LENGTH), which never reach Nest's exception filter.
 */
export function answerFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 400;
  void reply.status(status).send(errorBodyForStatus(status, frameworkErrorMessage(error)));
}

function frameworkErrorMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return 'the path is not valid percent-encoding';
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return `a path parameter is longer than ${MAX_PATH_PARAM_LENGTH} characters`;
    default:
      return 'the request is invalid';
  }
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before there is a request
 * (headers over its 16 KB limit, a request line it cannot read, a request that timed out).
 * Same status choices as Fastify's default handler; only the body changes.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer (https://nodejs.org/api/http.html#event-clienterror).
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy(error);
    return;
  }
  const status = clientErrorStatus(error.code);
  const body = JSON.stringify(errorBodyForStatus(status, clientErrorMessage(status)));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

function clientErrorStatus(code: string | undefined): number {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  return 400;
}

function clientErrorMessage(status: number): string {
  if (status === 408) return 'the request took too long to arrive';
  if (status === 431) return 'the request headers are too large';
  return 'the request is not valid HTTP';
}
