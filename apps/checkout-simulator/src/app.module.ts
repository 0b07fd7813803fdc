import { DynamicModule, Module } from '@nestjs/common';
import { ConfigurationModule } from '@waitroom/service-kit';
import { CheckoutModule } from './checkout/checkout.module';
import { SimulatorConfig } from './config/environment';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { PageModule } from './page/page.module';

@Module({ imports: [MetricsModule, CheckoutModule, PageModule, HealthModule] })
export class SimulatorModule {
  /** The application for one validated configuration (main.ts reads process.env; tests build their own). */
  static forConfig(config: SimulatorConfig): DynamicModule {
    return { module: SimulatorModule, imports: [ConfigurationModule.forRoot(SimulatorConfig, config)] };
  }
}
