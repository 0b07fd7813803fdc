import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { AdmissionModule } from './admission/admission.module';
import { HttpExceptionFilter } from './http/http-exception.filter';
import { AppConfigModule } from './config/config.module';
import type { Environment } from './config/environment';
import { EventsModule } from './events/events.module';
import { GateModule } from './gate/gate.module';
import { HealthModule } from './health/health.module';
import { HistoryModule } from './history/history.module';
import { MetricsModule } from './metrics/metrics.module';
import { PagesModule } from './pages/pages.module';
import { RedisModule } from './redis/redis.module';
import { RegistryModule } from './registry/registry.module';
import { GracefulShutdown } from './shutdown';
import { TokensModule } from './tokens/tokens.module';
import { WaitroomModule } from './waitroom/waitroom.module';

@Module({
  imports: [
    RedisModule,
    RegistryModule,
    ScheduleModule.forRoot(),
    TokensModule,
    WaitroomModule,
    GateModule,
    EventsModule,
    AdmissionModule,
    HealthModule,
    HistoryModule,
    MetricsModule,
    PagesModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }, GracefulShutdown],
})
export class AppModule {
  /** The application for one validated environment (main.ts reads process.env; tests build their own). */
  static forEnvironment(env: Environment): DynamicModule {
    return { module: AppModule, imports: [AppConfigModule.forRoot(env)] };
  }
}
