import { Injectable, Logger } from '@nestjs/common';
import Ajv, { type ValidateFunction } from 'ajv';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { clientAddress, proxyTrust, type ProxyTrust } from './client-address';
import { errorResponse } from './http-exception.filter';
import { BODY_LIMIT_BYTES } from './json-body';
import { SCHEMA_VALIDATOR_OPTIONS } from './validation';
import { requestIdOf, sendJsonAnswer } from './response-headers';
import { Environment } from '../config/environment';
import { JOIN_BODY_SCHEMA, type JoinRequestBody } from '../waitroom/dto/join.schema';
import { QueueService } from '../queue/queue.service';

/** The join route, also the route label the HTTP metrics give these requests. */
export const JOIN_ROUTE = '/api/v1/waitroom/join';
/** The media types a browser's or a client library's JSON join carries (compared lower-cased). */
const PLAIN_JSON = new Set([
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=utf-8',
]);

/**
 * The HTTP fast lane of joins (docs/decisions/0015-join-fast-lane.md).
 *
 * A join is one Redis script; Fastify's and Nest's per-request work (routing, hooks, the body
 * parser, the pipeline) cost about as much CPU again as the join itself, and a sale opens with
 * a burst of joins. So the HTTP server (bootstrap.ts) hands each request here first. An
 * ordinary join (POST /api/v1/waitroom/join, a plain JSON body of known length that the route's
 * own JSON schema accepts, no x-api-key) is read and answered here, through the same
 * QueueService.join as the route and with the same status, body and headers, errors
 * included (the exception filter's errorResponse). Anything else goes on to Fastify and Nest:
 * other requests untouched, and a join whose body this would not accept with its body put back
 * in front of the stream, so the framework reads it and answers it (a 400 naming every
 * problem, a 415, the trusted caller's path) exactly as it does without the lane.
 */
@Injectable()
export class JoinFastLane {
  /** Called with each answered join's status and duration in seconds (the HTTP metrics; set at start-up). */
  onAnswered: (statusCode: number, seconds: number) => void = () => undefined;
  /** Joins answered here, and joins read here but handed to the framework (their body was not the lane's). */
  readonly stats = { answered: 0, handedOn: 0 };

  /** The 5xx log lines read as the exception filter's do. */
  private readonly logger = new Logger('HttpExceptionFilter');
  private readonly trust: ProxyTrust;
  /** The route's schema (JOIN_BODY_SCHEMA) with Fastify's ajv options (bootstrap.ts): it accepts what the route accepts. */
  private readonly acceptsBody: ValidateFunction<JoinRequestBody>;

  constructor(
    private readonly waitroom: QueueService,
    env: Environment,
  ) {
    this.trust = proxyTrust(env);
    // Fastify's ajv compiler adds useDefaults to these (the schema has no defaults either way).
    this.acceptsBody = new Ajv({ useDefaults: true, ...SCHEMA_VALIDATOR_OPTIONS }).compile(JOIN_BODY_SCHEMA);
  }

  /**
   * Takes the request and returns true, or returns false having touched nothing. A taken
   * request whose body turns out not to be the lane's is handed to `framework` with its body
   * unread.
   */
  answer(request: IncomingMessage, response: ServerResponse, framework: () => void): boolean {
    if (request.method !== 'POST' || request.url !== JOIN_ROUTE) return false;
    // A server that stopped listening is shutting down: what still arrives on an open connection
    // is the framework's to refuse (503), as for every other route.
    if (!(request.socket as Socket & { server?: Server }).server?.listening) return false;
    const headers = request.headers;
    const length = Number(headers['content-length']);
    if (
      !(length > 0 && length <= BODY_LIMIT_BYTES) ||
      headers['transfer-encoding'] !== undefined ||
      headers['content-encoding'] !== undefined ||
      headers['x-api-key'] !== undefined ||
      !PLAIN_JSON.has(headers['content-type']?.toLowerCase() ?? '')
    )
      return false;
    const started = performance.now();
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < length) return;
      request.removeListener('data', onData);
      const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
      const body = this.ordinaryJoin(raw);
      if (!body) {
        // Decided in the same tick as the last chunk, before the stream can end: put back, the
        // body is read by the framework as if nothing had happened.
        request.pause();
        request.unshift(raw);
        this.stats.handedOn++;
        framework();
        return;
      }
      // join() answers every outcome itself; should writing the answer fail, the connection goes.
      this.join(body, request, response, started).catch(() => response.destroy());
    };
    request.on('data', onData);
    return true;
  }

  /** The body when the route would accept it as it is, else null (the framework then decides). */
  private ordinaryJoin(raw: Buffer): JoinRequestBody | null {
    const text = raw.toString('utf8');
    // The framework's JSON parser refuses prototype keys with its own error; a byte-order mark
    // it strips. Neither is an ordinary join.
    if (text.includes('__proto__') || text.includes('constructor')) return null;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return null;
    }
    return this.acceptsBody(value) ? value : null;
  }

  private async join(
    body: JoinRequestBody,
    request: IncomingMessage,
    response: ServerResponse,
    started: number,
  ): Promise<void> {
    const requestId = requestIdOf(request);
    let status: number;
    let text: string;
    let retryAfterSeconds: number | undefined;
    try {
      const { created, session } = await this.waitroom.join({
        userId: body.user_id,
        eventId: body.event_id,
        priority: body.priority ?? 0,
        // A caller with x-api-key is the framework's (trusted callers are checked there).
        trusted: false,
        clientAddress: clientAddress(request, this.trust) ?? '',
        altcha: body.altcha,
        identityToken: body.identity_token,
      });
      status = created ? 201 : 200;
      text = this.waitroom.sessionJson(session);
    } catch (error) {
      const failure = errorResponse(error, requestId, this.logger);
      status = failure.body.status;
      text = JSON.stringify(failure.body);
      retryAfterSeconds = failure.retryAfterSeconds;
    }
    if (response.destroyed) return;
    sendJsonAnswer(
      response,
      status,
      text,
      requestId,
      retryAfterSeconds === undefined ? [] : ['retry-after', String(retryAfterSeconds)],
    );
    this.stats.answered++;
    this.onAnswered(status, (performance.now() - started) / 1000);
  }
}
