import { Injectable } from '@nestjs/common';
import type { EventNoticeBody } from '@waitroom/contracts';
import { eventNotFound } from '../queue/queue-errors';
import { EVENT_ID_PATTERN } from '../queue/session-id';
import { EventSnapshots } from './event-snapshots';

/**
 * What a waiting page that has not joined (or cannot: closed) shows live: the event's state and
 * the operator's message, answered from the per-event snapshot that polls and streams share
 * (event-snapshots.ts), so an open page costs no Redis read of its own.
 */
@Injectable()
export class EventNotices {
  constructor(private readonly snapshots: EventSnapshots) {}

  async notice(eventId: string): Promise<EventNoticeBody> {
    if (eventId.length > 64 || !EVENT_ID_PATTERN.test(eventId)) throw eventNotFound(eventId);
    const { progress } = await this.snapshots.forNotice(eventId);
    if (!progress) throw eventNotFound(eventId);
    return { event_id: eventId, state: progress.state, message: progress.message };
  }
}
