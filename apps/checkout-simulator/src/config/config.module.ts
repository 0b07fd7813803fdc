import { DynamicModule, Global, Module } from '@nestjs/common';
import { SimulatorConfig } from './environment';

/** Provides the {@link SimulatorConfig} that main.ts (or a test) validated before Nest started. */
@Global()
@Module({})
export class SimulatorConfigModule {
  static forRoot(config: SimulatorConfig): DynamicModule {
    return {
      module: SimulatorConfigModule,
      providers: [{ provide: SimulatorConfig, useValue: config }],
      exports: [SimulatorConfig],
    };
  }
}
