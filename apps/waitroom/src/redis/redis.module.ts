import { Global, Module } from '@nestjs/common';
import { EventRegistry } from './event-registry';
import { RedisService } from './redis.service';

@Global()
@Module({ providers: [RedisService, EventRegistry], exports: [RedisService, EventRegistry] })
export class RedisModule {}
