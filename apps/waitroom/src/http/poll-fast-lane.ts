import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_PATH_PARAM_LENGTH } from './framework-errors';
import { requestIdOf, sendJsonAnswer } from './response-headers';
import { SessionPollService } from '../live/session-polls.service';
import { renderQueuedSession } from '../queue/views';

const SESSIONS_PATH = '/api/v1/waitroom/sessions/';
/** The route template the HTTP metrics name these requests by, as for the framework's route. */
export const SESSION_ROUTE = '/api/v1/waitroom/sessions/:session_id';

/**
 * The HTTP fast lane of status polls (docs/decisions/0014-poll-fast-path.md).
 *
 * A poll of a queued session is answered from this instance's snapshot in a few microseconds,
 * and the framework's per-request work (routing, hooks, the Nest pipeline) cost several times
 * that. So the HTTP server (bootstrap.ts) hands each request here first: a GET of
 * `/api/v1/waitroom/sessions/<id>` whose id carries a valid ticket and whose answer the snapshot
 * settles is answered here, with the same body and headers as GET /sessions/:id; every other
 * request, and every poll this cannot settle without waiting, goes on to Fastify and Nest
 * untouched (WaitroomController.getSession, which may read Redis).
 */
@Injectable()
export class PollFastLane {
  /** Called with each answered poll's duration in seconds (the HTTP metrics; set at start-up). */
  onAnswered: (seconds: number) => void = () => undefined;

  constructor(private readonly polls: SessionPollService) {}

  /** Answers the request and returns true, or returns false having touched nothing. */
  answer(request: IncomingMessage, response: ServerResponse): boolean {
    const url = request.url;
    if (request.method !== 'GET' || url === undefined || !url.startsWith(SESSIONS_PATH)) return false;
    const started = performance.now();
    const sessionId = url.slice(SESSIONS_PATH.length);
    // Sub-paths (/stream), query strings and percent-encoding are the framework's to parse.
    if (
      sessionId.length > MAX_PATH_PARAM_LENGTH ||
      sessionId.includes('/') ||
      sessionId.includes('?') ||
      sessionId.includes('%')
    )
      return false;
    const answer = this.polls.answerNow(sessionId);
    if (!answer) return false;
    sendJsonAnswer(response, 200, renderQueuedSession(answer.template, answer.session), requestIdOf(request));
    this.onAnswered((performance.now() - started) / 1000);
    return true;
  }
}
