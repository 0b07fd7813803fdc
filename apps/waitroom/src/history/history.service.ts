import { Injectable } from '@nestjs/common';
import { eventNotFound } from '../queue/queue-errors';
import { Environment } from '../config/environment';
import type { HistoryBody } from '@waitroom/contracts';
import { toHistoryColumns } from './history-columns';
import { HISTORY_WINDOW_MS, HistoryRepository } from './history.repository';

/** An event's recent history, for the operator dashboard (HistorySampler writes it). */
@Injectable()
export class HistoryService {
  constructor(
    private readonly repository: HistoryRepository,
    private readonly env: Environment,
  ) {}

  /**
   * The samples of the last hour, or only those taken after `sinceSeconds` (epoch seconds, as the
   * `t` of the last sample the caller has), as columns with per-minute rates.
   */
  async history(eventId: string, sinceSeconds?: number): Promise<HistoryBody> {
    const sinceMs = sinceSeconds === undefined ? 0 : Math.round(sinceSeconds * 1000);
    const reply = await this.repository.read(eventId, sinceMs);
    if (reply.code === 'NOT_FOUND') throw eventNotFound(eventId);
    return {
      event_id: eventId,
      interval_seconds: this.env.HISTORY_SAMPLE_INTERVAL_MS / 1000,
      window_seconds: HISTORY_WINDOW_MS / 1000,
      ...toHistoryColumns(reply.previous, reply.samples),
    };
  }
}
