import type { SchedulerRegistry } from '@nestjs/schedule';
import type { Environment } from '../config/environment';
import type { ActiveEvents, WorkListener } from '../registry/active-events';
import type { ScheduledCloses } from '../registry/scheduled-closes';
import { AdmissionScheduler, BUSY_EVENT_RETRY_MS, QUIET_EVENT_STEP_MAX_MS } from './admission.scheduler';
import type { AdmissionRepository } from './admission.repository';
import type { AdmissionStepResult } from './admission.scripts';
import { mergeShares, type ShardedAdmission } from './sharded-admission';

const quietStep = (wakeInMs: number | null): AdmissionStepResult => ({
  moving: false,
  expired: 0,
  abandoned: 0,
  admitted: 0,
  queueLength: 5,
  activeCount: 0,
  outboxLength: 0,
  wakeInMs,
});

describe('AdmissionScheduler: which events a tick steps', () => {
  let now: number;
  let listeners: WorkListener[];
  let step: jest.Mock;
  let shardedStep: jest.Mock;
  let noteWork: jest.Mock;
  let scheduler: AdmissionScheduler;

  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    listeners = [];
    step = jest.fn();
    shardedStep = jest.fn();
    noteWork = jest.fn();
    const activeEvents = {
      eventIds: async () => ['quiet'],
      onWork: (listener: WorkListener) => listeners.push(listener),
      noteWork,
      retire: async () => false,
      sweep: async () => 0,
    } as unknown as ActiveEvents;
    const registry = { addInterval: () => undefined } as unknown as SchedulerRegistry;
    const scheduledCloses = { closeDue: async () => [] } as unknown as ScheduledCloses;
    scheduler = new AdmissionScheduler(
      { step } as unknown as AdmissionRepository,
      { step: shardedStep } as unknown as ShardedAdmission,
      activeEvents,
      scheduledCloses,
      registry,
      { ADMISSION_TICK_MS: 100 } as Environment,
    );
    jest.spyOn(global, 'setInterval').mockReturnValue(0 as unknown as NodeJS.Timeout);
    scheduler.onApplicationBootstrap();
  });
  afterEach(() => jest.restoreAllMocks());

  it('leaves a quiet event alone until its step said it is due', async () => {
    step.mockResolvedValue(quietStep(1500));
    await scheduler.tick();
    expect(step).toHaveBeenCalledTimes(1);
    now += 1000;
    await scheduler.tick();
    expect(step).toHaveBeenCalledTimes(1);
    now += 600;
    await scheduler.tick();
    expect(step).toHaveBeenCalledTimes(2);
  });

  it('steps an event with nothing time-based at least every QUIET_EVENT_STEP_MAX_MS', async () => {
    step.mockResolvedValue(quietStep(null));
    await scheduler.tick();
    now += QUIET_EVENT_STEP_MAX_MS - 1;
    await scheduler.tick();
    expect(step).toHaveBeenCalledTimes(1);
    now += 1;
    await scheduler.tick();
    expect(step).toHaveBeenCalledTimes(2);
  });

  it('steps an event at once when this instance made work for it, even work made during its step', async () => {
    step.mockResolvedValueOnce(quietStep(null));
    await scheduler.tick();
    listeners.forEach((listener) => listener('quiet'));
    step.mockImplementationOnce(async () => {
      // A join lands while the step runs: the step's answer does not cover it.
      listeners.forEach((listener) => listener('quiet'));
      return quietStep(null);
    });
    await scheduler.tick();
    expect(step).toHaveBeenCalledTimes(2);
    step.mockResolvedValue(quietStep(null));
    await scheduler.tick();
    expect(step).toHaveBeenCalledTimes(3);
    await scheduler.tick();
    expect(step).toHaveBeenCalledTimes(3);
  });

  it('tries a failed step again next tick', async () => {
    step.mockResolvedValueOnce(quietStep(null));
    await scheduler.tick();
    listeners.forEach((listener) => listener('quiet'));
    step.mockRejectedValueOnce(new Error('connection lost'));
    await scheduler.tick();
    step.mockResolvedValue(quietStep(null));
    await scheduler.tick();
    expect(step).toHaveBeenCalledTimes(3);
  });

  it("does not step again for the note of its own step (that work is the relay's)", async () => {
    noteWork.mockImplementation((eventId: string) => listeners.forEach((listener) => listener(eventId)));
    step.mockResolvedValue({ ...quietStep(1500), moving: true, admitted: 1 });
    await scheduler.tick();
    await scheduler.tick();
    expect(step).toHaveBeenCalledTimes(1);
  });

  it('tells the relay when a step moved someone (its outbox has new entries)', async () => {
    step.mockResolvedValue({ ...quietStep(0), moving: true, admitted: 2 });
    await scheduler.tick();
    expect(noteWork).toHaveBeenCalledWith('quiet');
  });

  it('hands a sharded event to its admitter, and tells the relay of every shard whose outbox has news', async () => {
    step.mockResolvedValue({ sharded: 3 });
    shardedStep.mockResolvedValue({
      kind: 'stepped',
      result: { ...quietStep(0), moving: true, admitted: 2 },
      movedShards: [0, 2],
      idleShards: [],
    });
    await scheduler.tick();
    expect(shardedStep).toHaveBeenCalledWith('quiet', 3);
    expect(noteWork).toHaveBeenCalledWith('quiet');
    expect(noteWork).toHaveBeenCalledWith('quiet#2');
    await scheduler.tick();
    // Known as sharded now: no plain step first.
    expect(step).toHaveBeenCalledTimes(1);
    expect(shardedStep).toHaveBeenCalledTimes(2);
  });

  it('leaves a sharded event to the instance stepping it, trying again a little later', async () => {
    step.mockResolvedValue({ sharded: 2 });
    shardedStep.mockResolvedValue({ kind: 'not-admitter' });
    await scheduler.tick();
    now += BUSY_EVENT_RETRY_MS - 1;
    await scheduler.tick();
    expect(shardedStep).toHaveBeenCalledTimes(1);
    now += 1;
    await scheduler.tick();
    expect(shardedStep).toHaveBeenCalledTimes(2);
  });

  it('keeps trying every tick while work it made for a sharded event waits', async () => {
    step.mockResolvedValue({ sharded: 2 });
    shardedStep.mockResolvedValue({ kind: 'not-admitter' });
    await scheduler.tick();
    listeners.forEach((listener) => listener('quiet#1'));
    await scheduler.tick();
    await scheduler.tick();
    expect(shardedStep).toHaveBeenCalledTimes(3);
  });
});

describe("mergeShares: how many of the event's next people each shard holds", () => {
  it('takes the lowest scores over every shard, in order', () => {
    const heads = [{ headScores: [1, 4, 9] }, { headScores: [2, 3] }, { headScores: [5] }];
    expect(mergeShares(heads, 4)).toEqual([2, 2, 0]);
    expect(mergeShares(heads, 5)).toEqual([2, 2, 1]);
    expect(mergeShares(heads, 100)).toEqual([3, 2, 1]);
  });

  it('gives a shard that could not be read nobody', () => {
    expect(mergeShares([null, { headScores: [7, 8] }], 3)).toEqual([0, 2]);
  });
});
