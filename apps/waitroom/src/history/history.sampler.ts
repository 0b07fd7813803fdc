import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Environment } from '../config/environment';
import { ActiveEvents } from '../registry/active-events';
import { HistoryRepository } from './history.repository';

const HISTORY_INTERVAL_NAME = 'history-sample';
/** Events sampled at once. */
const SAMPLE_CONCURRENCY = 50;
/**
 * The lease outlives a few intervals, so a slow timer does not hand it over; if its holder dies,
 * another instance takes over after at most this many intervals (a gap in the charts, no harm).
 */
const LEASE_INTERVALS = 3;

/**
 * Every HISTORY_SAMPLE_INTERVAL_MS, the instance that holds the sampling lease appends one sample
 * to the history of each event that has work (ActiveEvents): one Redis call per such event, for
 * the whole deployment. Events without work cost nothing; their history simply has a gap, which
 * is also the truth (nothing was queued, admitted or happening). Like the admission scheduler, a
 * tick still running makes the next one skip, and one event's failure never stops the others.
 */
@Injectable()
export class HistorySampler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(HistorySampler.name);
  private readonly ownerId = `history-${process.pid}-${Math.random().toString(36).slice(2)}`;
  private sampling = false;
  private stopped = false;
  private failures = 0;

  constructor(
    private readonly history: HistoryRepository,
    private readonly activeEvents: ActiveEvents,
    private readonly scheduler: SchedulerRegistry,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap(): void {
    this.scheduler.addInterval(
      HISTORY_INTERVAL_NAME,
      setInterval(() => void this.tick(), this.env.HISTORY_SAMPLE_INTERVAL_MS),
    );
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.scheduler.doesExist('interval', HISTORY_INTERVAL_NAME))
      this.scheduler.deleteInterval(HISTORY_INTERVAL_NAME);
    // Let another instance take over at its next tick rather than after the lease runs out.
    await this.history.releaseSampleLease(this.ownerId);
  }

  /**
   * One sampling pass. Returns how many events were sampled, or null when this instance did not
   * sample (another holds the lease, or the previous pass still runs).
   */
  async tick(): Promise<number | null> {
    if (this.sampling || this.stopped) return null;
    this.sampling = true;
    try {
      const leaseMs = this.env.HISTORY_SAMPLE_INTERVAL_MS * LEASE_INTERVALS;
      if (!(await this.history.takeSampleLease(this.ownerId, leaseMs))) return null;
      // A sharded event's sample is the event's, summed over its shards (history.repository.ts).
      const eventIds = await this.activeEvents.eventIds();
      let sampled = 0;
      let failed = 0;
      let firstError: unknown;
      for (let i = 0; i < eventIds.length; i += SAMPLE_CONCURRENCY) {
        const results = await Promise.allSettled(
          eventIds.slice(i, i + SAMPLE_CONCURRENCY).map((eventId) => this.history.sample(eventId)),
        );
        for (const result of results) {
          if (result.status === 'fulfilled') sampled += result.value ? 1 : 0;
          else {
            failed++;
            firstError ??= result.reason;
          }
        }
      }
      if (failed > 0) throw new Error(`${failed} of ${eventIds.length} events: ${describe(firstError)}`);
      this.failures = 0;
      return sampled;
    } catch (error) {
      this.failures++;
      if (this.failures === 1 || this.failures % 100 === 0) {
        this.logger.warn(`history sampling failed (${this.failures}x): ${describe(error)}`);
      }
      return null;
    } finally {
      this.sampling = false;
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
