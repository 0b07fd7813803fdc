import { Module } from '@nestjs/common';
import { AdmissionModule } from '../admission/admission.module';
import { EventsModule } from '../events/events.module';
import { WaitroomModule } from '../waitroom/waitroom.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** GET /metrics: Prometheus text for this instance (see MetricsService for what is in it). */
@Module({
  imports: [WaitroomModule, EventsModule, AdmissionModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
