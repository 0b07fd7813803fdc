import { Module } from '@nestjs/common';
import { HistoryController } from './history.controller';
import { HistoryRepository } from './history.repository';
import { HistorySampler } from './history.sampler';
import { HistoryService } from './history.service';

/** A short, bounded history per event (sampled in Redis) and the admin endpoint that reads it. */
@Module({
  controllers: [HistoryController],
  providers: [HistoryRepository, HistoryService, HistorySampler],
  exports: [HistoryService],
})
export class HistoryModule {}
