import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { AdmissionRepository } from './admission.repository';
import { AdmissionScheduler } from './admission.scheduler';
import { ShardedAdmission } from './sharded-admission';

@Module({
  imports: [QueueModule],
  providers: [AdmissionRepository, ShardedAdmission, AdmissionScheduler],
  exports: [AdmissionScheduler],
})
export class AdmissionModule {}
