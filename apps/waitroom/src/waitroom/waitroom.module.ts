import { Module } from '@nestjs/common';
import { TokensModule } from '../tokens/tokens.module';
import { AdminController } from './admin.controller';
import { BotCheckService } from './bot-check.service';
import { PollFastLane } from './poll-fast-lane';
import { JoinFastLane } from './join-fast-lane';
import { SessionPollService } from './session-polls.service';
import { SessionStreamService } from './session-stream.service';
import { SessionTicketKey } from './session-ticket-key';
import { WaitroomController } from './waitroom.controller';
import { WaitroomRepository } from './waitroom.repository';
import { WaitroomService } from './waitroom.service';

@Module({
  imports: [TokensModule],
  controllers: [WaitroomController, AdminController],
  providers: [
    WaitroomRepository,
    WaitroomService,
    SessionStreamService,
    SessionPollService,
    SessionTicketKey,
    PollFastLane,
    JoinFastLane,
    BotCheckService,
  ],
  exports: [WaitroomService, WaitroomRepository, SessionStreamService, PollFastLane, JoinFastLane],
})
export class WaitroomModule {}
