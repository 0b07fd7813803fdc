import { Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import { AdminEventsApi } from '../waitroom/admin-events-api.decorator';
import { HistoryQueryDto, HistoryResponseDto } from './dto/history.dto';
import { HistoryService } from './history.service';

@AdminEventsApi()
export class HistoryController {
  constructor(private readonly history: HistoryService) {}

  @Get(':event_id/history')
  @ApiOperation({ operationId: 'getEventHistory', summary: 'Recent history of an event, in columns' })
  @ApiResponse({
    status: 200,
    type: HistoryResponseDto,
    description:
      "the event's recent history as columns (one array per series, index i of each for t[i]): " +
      'queue length, active sessions and per-minute rates, one sample per interval while the event has work',
  })
  @ApiResponse({ status: 400, description: 'since is not epoch seconds' })
  @ApiResponse({ status: 404, description: 'unknown event' })
  get(@Param('event_id') eventId: string, @Query() query: HistoryQueryDto) {
    return this.history.history(eventId, query.since === undefined ? undefined : Number(query.since));
  }
}
