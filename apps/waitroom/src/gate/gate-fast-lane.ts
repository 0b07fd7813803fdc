import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_ANSWER_HEADERS, requestIdOf, sendJsonAnswer } from '../http/response-headers';
import { GateService, type GateAnswer } from './gate.service';

const GATE_PATH = '/api/v1/waitroom/gate/';
/** The route template the HTTP metrics name these requests by, as for the framework's route. */
export const GATE_ROUTE = '/api/v1/waitroom/gate/:event_id';
/** The 204's headers, the request id last. */
const PASS_HEADERS = [...API_ANSWER_HEADERS, 'cache-control', 'no-store', 'x-request-id', ''];
/** The 401's body, the same as the controller's. */
export const PASS_REQUIRED_BODY = JSON.stringify({
  status: 401,
  code: 'PASS_REQUIRED',
  message: 'no valid pass for this event: see Location',
});

/**
 * The HTTP fast lane of gate checks, as the poll's (docs/decisions/0014-poll-fast-path.md,
 * 0021-gate.md): a reverse proxy asks for every request of the protected site, so a check whose
 * event snapshot is fresh on this instance is answered here, before Fastify and Nest, with the
 * same statuses, headers and body as GateController. Everything else (a snapshot to read first,
 * percent-encoding, a query) goes on to the framework untouched.
 */
@Injectable()
export class GateFastLane {
  /** Called with each answered check's status and duration in seconds (the HTTP metrics; set at start-up). */
  onAnswered: (statusCode: number, seconds: number) => void = () => undefined;
  readonly stats = { answered: 0 };

  constructor(private readonly gate: GateService) {}

  /** Takes the request and returns true, or returns false having touched nothing. */
  answer(request: IncomingMessage, response: ServerResponse): boolean {
    const url = request.url;
    if ((request.method !== 'GET' && request.method !== 'HEAD') || !url?.startsWith(GATE_PATH)) return false;
    const eventId = url.slice(GATE_PATH.length);
    if (eventId.includes('/') || eventId.includes('?') || eventId.includes('%')) return false;
    const started = performance.now();
    const answer = this.gate.answerNow(eventId, request.headers);
    if (!answer) return false;
    if (!(answer instanceof Promise)) {
      this.send(request, response, answer, started);
      return true;
    }
    // The check never rejects (verification failures are verdicts); should writing fail, the connection goes.
    answer
      .then((decision) => this.send(request, response, decision, started))
      .catch(() => response.destroy());
    return true;
  }

  private send(
    request: IncomingMessage,
    response: ServerResponse,
    answer: GateAnswer,
    started: number,
  ): void {
    if (response.destroyed) return;
    const requestId = requestIdOf(request);
    if (answer.pass) {
      // writeHead reads the list before it returns: one list serves every answer.
      PASS_HEADERS[PASS_HEADERS.length - 1] = requestId;
      response.writeHead(
        204,
        answer.setCookie ? [...PASS_HEADERS, 'set-cookie', answer.setCookie] : PASS_HEADERS,
      );
      response.end();
    } else {
      sendJsonAnswer(response, 401, PASS_REQUIRED_BODY, requestId, [
        'cache-control',
        'no-store',
        'location',
        answer.location,
      ]);
    }
    this.stats.answered++;
    this.onAnswered(answer.pass ? 204 : 401, (performance.now() - started) / 1000);
  }
}
