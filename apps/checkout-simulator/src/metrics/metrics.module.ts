import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { SimulatorMetrics } from './simulator-metrics';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [SimulatorMetrics],
  exports: [SimulatorMetrics],
})
export class MetricsModule {}
