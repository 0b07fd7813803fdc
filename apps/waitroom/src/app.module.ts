import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { AdmissionModule } from './admission/admission.module';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { AppConfigModule } from './config/config.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { RedisModule } from './redis/redis.module';
import { GracefulShutdown } from './shutdown';
import { TokensModule } from './tokens/tokens.module';
import { WaitroomModule } from './waitroom/waitroom.module';

@Module({
  imports: [
    AppConfigModule,
    RedisModule,
    ScheduleModule.forRoot(),
    TokensModule,
    WaitroomModule,
    EventsModule,
    AdmissionModule,
    HealthModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }, GracefulShutdown],
})
export class AppModule {}
