import { Global, Module } from '@nestjs/common';
import { ActiveEvents } from './active-events';
import { EventRegistry } from './event-registry';
import { Leases } from './lease';
import { RedisService } from './redis.service';

@Global()
@Module({
  providers: [RedisService, EventRegistry, Leases, ActiveEvents],
  exports: [RedisService, EventRegistry, Leases, ActiveEvents],
})
export class RedisModule {}
