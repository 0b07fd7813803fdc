import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { EventNotices } from './event-notices';
import { EventSnapshots } from './event-snapshots';
import { SessionPollService } from './session-polls.service';
import { SessionStreamService } from './session-stream.service';

/** Live positions: status polls and server-sent streams answered from per-event snapshots. */
@Module({
  imports: [QueueModule],
  providers: [EventSnapshots, EventNotices, SessionPollService, SessionStreamService],
  exports: [EventSnapshots, EventNotices, SessionPollService, SessionStreamService],
})
export class LiveModule {}
