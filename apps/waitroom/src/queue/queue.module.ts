import { Arrivals } from './arrivals';
import { EventShards } from './event-shards';
import { ShardRanks } from './shard-ranks';
import { Module } from '@nestjs/common';
import { BotCheckModule } from '../bot-check/bot-check.module';
import { IdentityKeys } from '../identity/identity-keys';
import { IdentityVerifiers } from '../identity/identity-verifiers';
import { TokensModule } from '../tokens/tokens.module';
import { EventService } from './event.service';
import { QueueRepository } from './queue.repository';
import { QueueService } from './queue.service';
import { SessionChanges } from './session-changes';
import { SessionTicketKey } from './session-ticket-key';

/** The queue itself: joining, leaving, checkout outcomes, the events' settings, and their Redis state. */
@Module({
  imports: [TokensModule, BotCheckModule],
  providers: [
    QueueRepository,
    EventShards,
    ShardRanks,
    Arrivals,
    QueueService,
    EventService,
    SessionChanges,
    SessionTicketKey,
    IdentityKeys,
    IdentityVerifiers,
  ],
  exports: [QueueRepository, QueueService, EventService, SessionChanges, EventShards, ShardRanks],
})
export class QueueModule {}
