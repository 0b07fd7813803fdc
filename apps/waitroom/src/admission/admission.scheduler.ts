import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Environment } from '../config/environment';
import { ActiveEvents, isIdle, SWEEP_INTERVAL_MS } from '../registry/active-events';
import { ScheduledCloses } from '../registry/scheduled-closes';
import { AdmissionRepository } from './admission.repository';

const ADMISSION_INTERVAL_NAME = 'admission-tick';

/**
 * Every instance runs this: each tick runs one atomic admission step per event that has work
 * (ActiveEvents: queued, admitted or unpublished), so closed and finished events cost nothing.
 * Capacity and "admitted once" hold because the Lua step is the only place a slot is granted,
 * so several instances ticking at once only share the work. The interval is registered with
 * @nestjs/schedule's registry (the tick length is configuration, which a decorator cannot read),
 * and a tick that is still running makes the next one skip: intervals do not wait.
 * One event's failing step never stops the others'. Each tick also closes the events whose
 * `closes_at` has come (ScheduledCloses), so that happens within one tick of the time.
 */
@Injectable()
export class AdmissionScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdmissionScheduler.name);
  private ticking = false;
  private stopped = false;
  private failures = 0;
  private lastSweepAt = 0;
  private sweeping = false;
  /** Counters read by the metrics endpoint, summed over this instance's steps. */
  readonly totals = { admitted: 0, expired: 0, abandoned: 0, ticks: 0, skippedTicks: 0, failedSteps: 0 };

  constructor(
    private readonly admission: AdmissionRepository,
    private readonly activeEvents: ActiveEvents,
    private readonly scheduledCloses: ScheduledCloses,
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

  /** One pass over the events with work. Returns false if skipped because the previous one still runs. */
  async tick(): Promise<boolean> {
    if (this.ticking || this.stopped) {
      this.totals.skippedTicks++;
      return false;
    }
    this.ticking = true;
    this.sweepIfDue();
    try {
      // Scheduled closes first, so an event closed now admits nobody in this tick.
      await this.scheduledCloses.closeDue();
      const eventIds = await this.activeEvents.ids();
      const steps = await Promise.allSettled(eventIds.map((eventId) => this.stepEvent(eventId)));
      const failed = steps.filter((step): step is PromiseRejectedResult => step.status === 'rejected');
      this.totals.failedSteps += failed.length;
      if (failed.length > 0) throw failed[0].reason;
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
    if ('noEvent' in result) {
      // Removed: the relay still publishes what its outbox holds, then the event is forgotten.
      if (result.outboxLength === 0) await this.activeEvents.retire(eventId);
      return;
    }
    this.totals.admitted += result.admitted;
    this.totals.expired += result.expired;
    this.totals.abandoned += result.abandoned;
    if (isIdle(result)) await this.activeEvents.retire(eventId);
  }

  /** Starts the registry sweep (ActiveEvents.sweep) in the background when it is due. */
  private sweepIfDue(): void {
    const now = Date.now();
    if (this.sweeping || now - this.lastSweepAt < SWEEP_INTERVAL_MS) return;
    this.sweeping = true;
    this.lastSweepAt = now;
    this.activeEvents
      .sweep()
      .then((marked) => {
        if (marked) this.logger.log(`sweep: ${marked} event(s) with work were not marked active; marked now`);
      })
      .catch((error: unknown) =>
        this.logger.warn(`sweep failed: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => {
        this.sweeping = false;
      });
  }
}
