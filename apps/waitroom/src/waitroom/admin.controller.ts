import { Body, Controller, Delete, Get, HttpCode, Param, Put, Res, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminApiKeyGuard } from '../common/api-key';
import { DomainError } from '../common/domain-errors';
import { UpsertEventDto } from './dto/event-config.dto';
import { EVENT_ID_PATTERN } from './session-id';
import { WaitroomService } from './waitroom.service';

@ApiTags('admin')
@ApiHeader({ name: 'x-api-key', required: true })
@ApiResponse({ status: 401, description: 'missing or wrong x-api-key' })
@UseGuards(AdminApiKeyGuard)
@Controller('api/v1/waitroom/admin/events')
export class AdminController {
  constructor(private readonly waitroom: WaitroomService) {}

  @Put(':event_id')
  @ApiResponse({ status: 201, description: 'created; body = stored config' })
  @ApiResponse({ status: 200, description: 'updated; body = stored config' })
  async upsert(
    @Param('event_id') eventId: string,
    @Body() body: UpsertEventDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (eventId.length > 64 || !EVENT_ID_PATTERN.test(eventId)) {
      throw new DomainError('VALIDATION_FAILED', 'the request is invalid', [
        'event_id must be 1-64 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit',
      ]);
    }
    const { created, view } = await this.waitroom.upsertEvent(eventId, body);
    void reply.status(created ? 201 : 200);
    return view;
  }

  @Delete(':event_id')
  @HttpCode(200)
  @ApiResponse({
    status: 200,
    description: 'removed: its queued and ready sessions ended as left (QUEUE_LEFT, reason removed)',
  })
  @ApiResponse({ status: 404, description: 'unknown event' })
  @ApiResponse({ status: 409, description: 'EVENT_NOT_CLOSED: only a closed event can be removed' })
  remove(@Param('event_id') eventId: string) {
    return this.waitroom.removeEvent(eventId);
  }

  @Get(':event_id')
  @ApiResponse({ status: 200, description: 'config and stats' })
  @ApiResponse({ status: 404, description: 'unknown event' })
  get(@Param('event_id') eventId: string) {
    return this.waitroom.eventDetails(eventId);
  }

  @Get()
  @ApiResponse({ status: 200, description: 'every configured event' })
  list() {
    return this.waitroom.listEvents();
  }
}
