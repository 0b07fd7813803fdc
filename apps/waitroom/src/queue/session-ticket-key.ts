import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { useSessionTicketKey } from './session-ticket';
import { QueueRepository } from './queue.repository';

const RETRY_MS = 1000;

/**
 * Loads the secret that signs session tickets. It lives in Redis (created by whichever instance
 * starts first), so every instance signs and verifies with the same one without any
 * configuration, and it survives restarts with the data it protects (AOF). If it is ever lost,
 * old tickets stop verifying and their polls take the slow path: nothing breaks.
 *
 * The service starts without Redis (readiness says so): then the key is fetched again every
 * second until it is there. Meanwhile ids carry no ticket and polls read Redis.
 */
@Injectable()
export class SessionTicketKey implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SessionTicketKey.name);
  private retry?: NodeJS.Timeout;

  constructor(private readonly repository: QueueRepository) {}

  async onModuleInit(): Promise<void> {
    await this.load();
  }

  onModuleDestroy(): void {
    clearTimeout(this.retry);
  }

  private async load(): Promise<void> {
    try {
      useSessionTicketKey(await this.repository.sessionTicketKey());
    } catch (error) {
      this.logger.warn(
        `session ticket key not loaded (${error instanceof Error ? error.message : String(error)}): retrying`,
      );
      this.retry = setTimeout(() => void this.load(), RETRY_MS);
      this.retry.unref();
    }
  }
}
