import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Environment } from './environment';

/**
 * Provides the validated, typed {@link Environment} that main.ts (or a test) built before Nest
 * started, so a bad variable stops the process with one clear line rather than a stack trace.
 * It is also loaded into @nestjs/config's ConfigService for code that prefers that interface.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(env: Environment): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ ...env })] })],
      providers: [{ provide: Environment, useValue: env }],
      exports: [Environment],
    };
  }
}
