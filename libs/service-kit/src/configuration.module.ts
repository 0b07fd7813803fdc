import { Module, type DynamicModule, type Type } from '@nestjs/common';

/**
 * Provides a service's configuration, validated by main.ts (or a test) before Nest started, to
 * every module under its class: a bad variable stops the process with one clear line rather than
 * a stack trace from the middle of Nest's start-up.
 */
@Module({})
export class ConfigurationModule {
  static forRoot<T>(configuration: Type<T>, value: T): DynamicModule {
    return {
      module: ConfigurationModule,
      global: true,
      providers: [{ provide: configuration, useValue: value }],
      exports: [configuration],
    };
  }
}
