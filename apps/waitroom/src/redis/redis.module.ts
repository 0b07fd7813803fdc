import { Global, Module } from '@nestjs/common';
import { Leases } from './lease';
import { RedisService } from './redis.service';

@Global()
@Module({
  providers: [RedisService, Leases],
  exports: [RedisService, Leases],
})
export class RedisModule {}
