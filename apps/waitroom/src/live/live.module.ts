import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { SessionPollService } from './session-polls.service';
import { SessionStreamService } from './session-stream.service';

/** Live positions: status polls and server-sent streams answered from per-event snapshots. */
@Module({
  imports: [QueueModule],
  providers: [SessionPollService, SessionStreamService],
  exports: [SessionPollService, SessionStreamService],
})
export class LiveModule {}
