import { Injectable } from '@nestjs/common';

export type ConsumerStatus = 'starting' | 'running' | 'rejoining' | 'stopped';

/**
 * What a consumer is doing, as the readiness probe and the metrics see it. RawRecordKafkaServer
 * writes it from kafkajs's own events.
 */
@Injectable()
export class ConsumerState {
  status: ConsumerStatus = 'starting';
  /** When the status last changed (epoch ms). */
  since = Date.now();
  lastError: string | null = null;
  /** Times the consumer crashed and was started again (by kafkajs or by the server). */
  restarts = 0;

  set(status: ConsumerStatus, error?: string): void {
    if (status !== this.status) this.since = Date.now();
    this.status = status;
    if (error !== undefined) this.lastError = error;
  }

  /** How long the consumer has not been consuming (0 while it runs). */
  downForMs(now = Date.now()): number {
    return this.status === 'running' ? 0 : now - this.since;
  }
}
