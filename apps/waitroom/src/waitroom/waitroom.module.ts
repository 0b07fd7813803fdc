import { Module } from '@nestjs/common';
import { BotCheckModule } from '../bot-check/bot-check.module';
import { JoinFastLane } from '../http/join-fast-lane';
import { PollFastLane } from '../http/poll-fast-lane';
import { LiveModule } from '../live/live.module';
import { QueueModule } from '../queue/queue.module';
import { AdminController } from './admin.controller';
import { WaitroomController } from './waitroom.controller';

/**
 * The HTTP API under /api/v1/waitroom: the public and admin controllers, and the fast lanes that
 * answer ordinary joins and polls before the framework (http/), over the queue, live positions
 * and the bot check.
 */
@Module({
  imports: [QueueModule, LiveModule, BotCheckModule],
  controllers: [WaitroomController, AdminController],
  providers: [PollFastLane, JoinFastLane],
  exports: [QueueModule, LiveModule, PollFastLane, JoinFastLane],
})
export class WaitroomModule {}
