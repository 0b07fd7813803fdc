import { Body, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../http/api-key';
import { InvalidInputError } from '../common/domain-error';
import { AdminEventsApi } from './admin-events-api.decorator';
import { AuditQueryDto, SoldOutDto, UpsertEventDto } from './dto/event-config.dto';
import {
  EventConfigResponseDto,
  EventDetailsResponseDto,
  EventListResponseDto,
  AuditResponseDto,
  RemoveEventResponseDto,
  SoldOutResponseDto,
} from './dto/event-response.dto';
import { EVENT_ID_PATTERN } from '../queue/session-id';
import { EventService } from '../queue/event.service';
import { AUDIT_LOG_CAP } from '../queue/queue.repository';

@AdminEventsApi()
export class AdminController {
  constructor(private readonly events: EventService) {}

  @Put(':event_id')
  @ApiOperation({ operationId: 'upsertEvent', summary: 'Create or update an event' })
  @ApiResponse({ status: 201, type: EventConfigResponseDto, description: 'created; body = stored config' })
  @ApiResponse({ status: 200, type: EventConfigResponseDto, description: 'updated; body = stored config' })
  @ApiResponse({ status: 400, description: 'invalid body or event_id' })
  @ApiResponse({
    status: 409,
    description:
      "DRAW_FIXED: the change would alter a pre-queue draw that is already fixed (README 'Auditable draw')",
  })
  async upsert(
    @Param('event_id') eventId: string,
    @Body() body: UpsertEventDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (eventId.length > 64 || !EVENT_ID_PATTERN.test(eventId)) {
      throw new InvalidInputError([
        'event_id must be 1-64 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit',
      ]);
    }
    const { created, view } = await this.events.upsertEvent(eventId, body, actorOf(request).name);
    void reply.status(created ? 201 : 200);
    return view;
  }

  @Post(':event_id/sold-out')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'soldOut',
    summary: 'Sold out: close the event and end every queued session',
    description:
      'The event becomes closed; every queued session ends as left with left_reason sold_out and one QUEUE_LEFT ' +
      '(reason sold_out); its page and stream show it with the message. Ready sessions keep their checkout ' +
      'window. Repeating it ends nobody twice.',
  })
  @ApiResponse({ status: 200, type: SoldOutResponseDto, description: 'closed; the queued sessions ended' })
  @ApiResponse({ status: 400, description: 'invalid body' })
  @ApiResponse({ status: 404, description: 'unknown event' })
  soldOut(@Param('event_id') eventId: string, @Body() body: SoldOutDto, @Req() request: FastifyRequest) {
    return this.events.soldOut(eventId, actorOf(request).name, body?.message);
  }

  @Get(':event_id/audit')
  @ApiOperation({
    operationId: 'getEventAudit',
    summary: 'Who changed what: the audit log of an event, newest first',
    description:
      'Every admin change of the event (PUT, sold-out, DELETE) with the time, the name of the key that made it ' +
      '(never the key) and each changed field with its old and new value. Capped at 10,000 entries; a removed ' +
      "event's log stays readable until the session retention period ends.",
  })
  @ApiResponse({ status: 200, type: AuditResponseDto, description: 'the newest entries first' })
  @ApiResponse({ status: 400, description: 'limit is not an integer 1-10000' })
  @ApiResponse({ status: 404, description: 'unknown event (and no log left of a removed one)' })
  audit(@Param('event_id') eventId: string, @Query() query: AuditQueryDto) {
    return this.events.audit(eventId, query.limit === undefined ? AUDIT_LOG_CAP : Number(query.limit));
  }

  @Delete(':event_id')
  @HttpCode(200)
  @ApiOperation({ operationId: 'removeEvent', summary: 'Remove a closed event' })
  @ApiResponse({
    status: 200,
    type: RemoveEventResponseDto,
    description: 'removed: its queued and ready sessions ended as left (QUEUE_LEFT, reason removed)',
  })
  @ApiResponse({ status: 404, description: 'unknown event' })
  @ApiResponse({ status: 409, description: 'EVENT_NOT_CLOSED: only a closed event can be removed' })
  remove(@Param('event_id') eventId: string, @Req() request: FastifyRequest) {
    return this.events.removeEvent(eventId, actorOf(request).name);
  }

  @Get(':event_id')
  @ApiOperation({ operationId: 'getEvent', summary: 'Configuration and stats of an event' })
  @ApiResponse({ status: 200, type: EventDetailsResponseDto, description: 'config and stats' })
  @ApiResponse({ status: 404, description: 'unknown event' })
  get(@Param('event_id') eventId: string) {
    return this.events.eventDetails(eventId);
  }

  @Get()
  @ApiOperation({ operationId: 'listEvents', summary: 'Every configured event, with stats' })
  @ApiResponse({ status: 200, type: EventListResponseDto, description: 'every configured event' })
  list() {
    return this.events.listEvents();
  }
}
