import type { DynamicModule } from '@nestjs/common';
import { ConfigurationModule } from '@waitroom/service-kit';
import { Environment } from './environment';

/**
 * Provides the validated, typed {@link Environment} that main.ts (or a test) built before Nest
 * started, so a bad variable stops the process with one clear line rather than a stack trace.
 */
export class AppConfigModule {
  static forRoot(env: Environment): DynamicModule {
    return ConfigurationModule.forRoot(Environment, env);
  }
}
