import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Environment } from '../config/environment';
import { RedisDoor } from './redis-door';

/**
 * The process's Redis door (redis-door.ts) as a Nest provider: repositories call `run` with a
 * script's or a command's typed wrapper.
 */
@Injectable()
export class RedisService extends RedisDoor implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);

  constructor(env: Environment) {
    super(env);
    this.onConnectionError((error) => this.logger.warn(`redis: ${error.message}`));
  }

  /**
   * Gives the connection a moment before the schedulers start, so a normal start logs no errors.
   * Never fails: with Redis away the service starts degraded (503s, readiness down) and recovers.
   */
  async onModuleInit(): Promise<void> {
    if (!(await this.whenReady(3000)))
      this.logger.warn('redis is not reachable yet; serving degraded until it is');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
