import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Environment } from '../config/environment';
import { EventRegistry } from '../redis/event-registry';
import { AdmissionRepository, type AdmissionStepResult } from './admission.repository';

export const ADMISSION_INTERVAL_NAME = 'admission-tick';

/**
 * Every instance runs this: each tick runs one atomic admission step per event. Capacity and
 * "admitted once" hold because the Lua step is the only place a slot is granted, so several
 * instances ticking at once only share the work. The interval is registered with
 * @nestjs/schedule's registry (the tick length is configuration, which a decorator cannot read),
 * and a tick that is still running makes the next one skip: intervals do not wait.
 */
@Injectable()
export class AdmissionScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdmissionScheduler.name);
  private ticking = false;
  private stopped = false;
  private failures = 0;
  /** Counters read by the metrics endpoint, summed over this instance's steps. */
  readonly totals = { admitted: 0, expired: 0, abandoned: 0, ticks: 0, skippedTicks: 0 };
  /** Last step result per event, for metrics. */
  readonly lastStep = new Map<string, AdmissionStepResult>();

  constructor(
    private readonly admission: AdmissionRepository,
    private readonly registry: EventRegistry,
    private readonly scheduler: SchedulerRegistry,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap(): void {
    this.scheduler.addInterval(
      ADMISSION_INTERVAL_NAME,
      setInterval(() => void this.tick(), this.env.ADMISSION_TICK_MS),
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.scheduler.doesExist('interval', ADMISSION_INTERVAL_NAME))
      this.scheduler.deleteInterval(ADMISSION_INTERVAL_NAME);
  }

  /** One pass over all events. Returns false if skipped because the previous one still runs. */
  async tick(): Promise<boolean> {
    if (this.ticking || this.stopped) {
      this.totals.skippedTicks++;
      return false;
    }
    this.ticking = true;
    try {
      const eventIds = await this.registry.ids();
      await Promise.all(eventIds.map((eventId) => this.stepEvent(eventId)));
      this.totals.ticks++;
      this.failures = 0;
    } catch (error) {
      this.failures++;
      if (this.failures === 1 || this.failures % 100 === 0) {
        this.logger.warn(
          `admission tick failed (${this.failures}x): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    } finally {
      this.ticking = false;
    }
    return true;
  }

  private async stepEvent(eventId: string): Promise<void> {
    const result = await this.admission.step(eventId);
    if (!result) return;
    this.lastStep.set(eventId, result);
    this.totals.admitted += result.admitted;
    this.totals.expired += result.expired;
    this.totals.abandoned += result.abandoned;
  }
}
