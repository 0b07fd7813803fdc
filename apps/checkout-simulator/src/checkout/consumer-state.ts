import { Injectable } from '@nestjs/common';

export type ConsumerStatus = 'starting' | 'running' | 'rejoining' | 'stopped';

/** What the QUEUE_READY consumer is doing, from kafkajs's own events; read by /health/ready. */
@Injectable()
export class ConsumerState {
  status: ConsumerStatus = 'starting';
  since = Date.now();
  lastError: string | null = null;
  restarts = 0;

  set(status: ConsumerStatus, error?: string): void {
    if (status !== this.status) this.since = Date.now();
    this.status = status;
    if (error !== undefined) this.lastError = error;
  }
}
