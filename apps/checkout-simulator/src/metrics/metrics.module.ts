import { Global, Module } from '@nestjs/common';
import { prometheusScrapeController } from '@waitroom/service-kit';
import { SimulatorMetrics } from './simulator-metrics';

/** GET /metrics, and SimulatorMetrics for every module that counts. */
@Global()
@Module({
  controllers: [prometheusScrapeController(SimulatorMetrics)],
  providers: [SimulatorMetrics],
  exports: [SimulatorMetrics],
})
export class MetricsModule {}
