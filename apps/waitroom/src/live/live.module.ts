import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { EventSnapshots } from './event-snapshots';
import { SessionPollService } from './session-polls.service';
import { SessionStreamService } from './session-stream.service';

/** Live positions: status polls and server-sent streams answered from per-event snapshots. */
@Module({
  imports: [QueueModule],
  providers: [EventSnapshots, SessionPollService, SessionStreamService],
  exports: [EventSnapshots, SessionPollService, SessionStreamService],
})
export class LiveModule {}
