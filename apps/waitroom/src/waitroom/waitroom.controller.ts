import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Req,
  Res,
  Sse,
  type MessageEvent,
} from '@nestjs/common';
import { RouteConfig, RouteSchema } from '@nestjs/platform-fastify';
import { ApiBody, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { isTrustedCaller } from '../http/api-key';
import { HEADERS_AHEAD } from '../http/response-headers';
import { Environment } from '../config/environment';
import { API_KEY_SCHEME } from '../http/openapi';
import { ChallengeResponseDto } from './dto/challenge-response.dto';
import { DrawResponseDto } from './dto/draw-response.dto';
import { EventNoticeResponseDto, EventStatsResponseDto } from './dto/event-response.dto';
import { JoinRequestDto } from './dto/join.dto';
import { JOIN_BODY_SCHEMA, type JoinRequestBody } from './dto/join.schema';
import { LeaveResponseDto, SessionResponseDto } from './dto/session-response.dto';
import { ENDED_STREAM_RETRY_MS, SessionStreamService } from '../live/session-stream.service';
import { SessionPollService } from '../live/session-polls.service';
import { EventNotices } from '../live/event-notices';
import { EventService } from '../queue/event.service';
import { QueueService } from '../queue/queue.service';

/** An operation anyone may call: no x-api-key (OpenAPI `security: []`). */
const PublicOperation = (operationId: string, summary: string) =>
  ApiOperation({ operationId, summary, security: [] });

@ApiTags('waitroom')
@Controller('api/v1/waitroom')
export class WaitroomController {
  constructor(
    private readonly queue: QueueService,
    private readonly events: EventService,
    private readonly polls: SessionPollService,
    private readonly streams: SessionStreamService,
    private readonly notices: EventNotices,
    private readonly env: Environment,
  ) {}

  @Post('join')
  @RouteSchema({ body: JOIN_BODY_SCHEMA })
  @ApiOperation({
    operationId: 'joinQueue',
    summary: 'Join the queue of an event',
    description: 'Anyone may join; x-api-key (a trusted caller) is needed only for priority above 0.',
    // Optional key: anonymous, or with x-api-key.
    security: [{}, { [API_KEY_SCHEME]: [] }],
  })
  @ApiBody({ type: JoinRequestDto })
  @ApiResponse({ status: 201, type: SessionResponseDto, description: 'a new place in the queue' })
  @ApiResponse({
    status: 200,
    type: SessionResponseDto,
    description: 'this user already has a live place: the same session',
  })
  @ApiResponse({ status: 400, description: 'invalid body' })
  @ApiResponse({
    status: 403,
    description:
      'PRIORITY_NOT_ALLOWED: priority above 0 without x-api-key; PROOF_REQUIRED: the event has bot_check ' +
      'proof_of_work and the join carries no altcha; PROOF_INVALID: the altcha is wrongly signed, expired, ' +
      'for another event or already used; IDENTITY_REQUIRED: the event has join_identity_jwk and the join ' +
      'carries no identity_token; IDENTITY_INVALID: the identity_token is not valid for this user and event',
  })
  @ApiResponse({ status: 404, description: 'unknown event' })
  @ApiResponse({ status: 409, description: 'event closed' })
  @ApiResponse({ status: 429, description: 'too many joins from this address' })
  @ApiResponse({ status: 503, description: 'store unavailable; see Retry-After' })
  async join(
    @Body() body: JoinRequestBody,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { created, session } = await this.queue.join({
      userId: body.user_id,
      eventId: body.event_id,
      priority: body.priority ?? 0,
      trusted: isTrustedCaller(request, this.env),
      clientAddress: request.ip,
      altcha: body.altcha,
      identityToken: body.identity_token,
    });
    void reply.status(created ? 201 : 200);
    return this.queue.view(session);
  }

  @Get('sessions/:session_id')
  @PublicOperation('getSession', 'Read a session (also its heartbeat)')
  @ApiResponse({ status: 200, type: SessionResponseDto, description: 'the session; also its heartbeat' })
  @ApiResponse({ status: 404, description: 'unknown or purged session' })
  getSession(@Param('session_id') sessionId: string) {
    return this.polls.read(sessionId);
  }

  @Delete('sessions/:session_id')
  @HttpCode(200)
  @PublicOperation('leaveQueue', 'Leave the queue (or give up a checkout slot)')
  @ApiResponse({
    status: 200,
    type: LeaveResponseDto,
    description: 'left (a repeated call answers the same)',
  })
  @ApiResponse({ status: 404, description: 'unknown or purged session' })
  leave(@Param('session_id') sessionId: string) {
    return this.queue.leave(sessionId);
  }

  @Sse('sessions/:session_id/stream')
  @RouteConfig(HEADERS_AHEAD)
  @PublicOperation('streamSession', 'Follow a session as server-sent events')
  @ApiProduces('text/event-stream')
  @ApiResponse({
    status: 200,
    description:
      'text/event-stream: an `event: session` whose data is the body of GET /sessions/{session_id} on every ' +
      'change of status or position, keep-alive comments between; ends after a terminal status (an unknown ' +
      'session gets one event saying so, then the end). The last event of a stream that ended for good ' +
      `carries \`retry: ${ENDED_STREAM_RETRY_MS}\` (ms), so an EventSource left open does not come back every few seconds`,
    schema: { type: 'string' },
  })
  stream(@Param('session_id') sessionId: string): Observable<MessageEvent> {
    return this.streams.watch(sessionId);
  }

  @Get('events/:event_id/draw')
  @PublicOperation('getDraw', 'The pre-queue draw of an event: the seed commitment, then the seed')
  @ApiResponse({
    status: 200,
    type: DrawResponseDto,
    description:
      '{event_id, opens_at, seed_commitment} (hex SHA-256 of the seed that orders the pre-queue); ' +
      'from opens_at on also seed and algorithm, so anyone can recompute the order (README "Auditable draw")',
  })
  @ApiResponse({ status: 404, description: 'unknown event, or one without shuffle_at_open' })
  draw(@Param('event_id') eventId: string) {
    return this.events.draw(eventId);
  }

  @Get('events/:event_id/challenge')
  @Header('cache-control', 'no-store')
  @PublicOperation('getChallenge', 'A fresh proof-of-work challenge for a join (bot_check proof_of_work)')
  @ApiResponse({
    status: 200,
    type: ChallengeResponseDto,
    description:
      "a fresh ALTCHA challenge (altcha-lib's createChallenge, SHA-256, signed, valid 5 minutes, bound to " +
      "this event): solve it and send the payload as the join's altcha",
  })
  @ApiResponse({ status: 404, description: 'unknown event, or one without bot_check proof_of_work' })
  challenge(@Param('event_id') eventId: string) {
    return this.queue.challenge(eventId);
  }

  @Get('events/:event_id/notice')
  @Header('cache-control', 'no-store')
  @PublicOperation(
    'getEventNotice',
    "An event's state and the operator's message, as a waiting page shows them",
  )
  @ApiResponse({
    status: 200,
    type: EventNoticeResponseDto,
    description:
      '{event_id, state, message}: what a waiting page that has not joined shows live (the message as text); ' +
      'answered from the per-event snapshot status polls share, at most about two POLL_SNAPSHOT_MS old',
  })
  @ApiResponse({ status: 404, description: 'unknown event' })
  notice(@Param('event_id') eventId: string) {
    return this.notices.notice(eventId);
  }

  @Get('events/:event_id/stats')
  @PublicOperation('getEventStats', 'Live counts and totals of an event')
  @ApiResponse({
    status: 200,
    type: EventStatsResponseDto,
    description: 'live counts and totals of an event',
  })
  @ApiResponse({ status: 404, description: 'unknown event' })
  stats(@Param('event_id') eventId: string) {
    return this.events.eventStats(eventId);
  }
}
