import { DynamicModule, Global, Module } from '@nestjs/common';
import { Environment } from './environment';

/**
 * Provides the validated, typed {@link Environment} that main.ts (or a test) built before Nest
 * started, so a bad variable stops the process with one clear line rather than a stack trace.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(env: Environment): DynamicModule {
    return {
      module: AppConfigModule,
      providers: [{ provide: Environment, useValue: env }],
      exports: [Environment],
    };
  }
}
