import { Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Environment, validateEnvironment } from './environment';

/**
 * Provides the validated, typed {@link Environment}. @nestjs/config loads an optional `.env`
 * file into the environment and runs the same validation; main.ts validates before Nest starts,
 * so a bad variable stops the process with one clear line rather than a stack trace.
 */
@Global()
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, cache: true, envFilePath: ['.env'], validate: validateEnvironment })],
  providers: [
    {
      provide: Environment,
      inject: [ConfigService],
      // ConfigService has loaded `.env` into process.env by now.
      useFactory: (_loaded: ConfigService) => validateEnvironment(process.env),
    },
  ],
  exports: [Environment],
})
export class AppConfigModule {}
