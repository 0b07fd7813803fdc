import type { Environment } from '../config/environment';
import type { QueueRepository } from '../queue/queue.repository';
import type { AdmissionRepository, AdmissionStepResult, ShardHead } from './admission.repository';
import { ShardedAdmission } from './sharded-admission';

/** A shard as admission-head-5.lua would read it: a paused event, nobody admitted, nothing planned. */
function head(overrides: Partial<ShardHead> = {}): ShardHead {
  return {
    state: 'paused',
    capacity: 1,
    ratePerMinute: null,
    opensAtMs: null,
    updatedAtMs: 1000,
    shards: 3,
    nowMs: 5000,
    queueLength: 4,
    activeCount: 0,
    outboxLength: 0,
    tokens: null,
    bounds: [],
    rateEstimate: null,
    rateEstimateAtMs: null,
    headScores: [],
    ...overrides,
  };
}

/**
 * The Redis side of a sharded event's steps, in memory: each shard's head as a test sets it,
 * each shard step answering with the head's counts and the wake-up the test gives, and the plan
 * kept as admission-plan-1.lua keeps it (read back by shard 0's head).
 */
class FakeShards {
  readonly heads = [head(), head(), head()];
  /** What each shard's own step says of its time-based work (null: none). */
  readonly wakeInMs: (number | null)[] = [null, null, null];
  readonly stepped: number[] = [];
  plans = 0;
  private epoch = 0;

  readonly repository = {
    takeStepLock: async () => ++this.epoch,
    giveStepLock: async () => undefined,
    shardHead: async (_eventId: string, shard: number) => ({ ...this.heads[shard] }),
    plan: async (
      _eventId: string,
      _epoch: number,
      plan: { bounds: number[]; rateEstimate: number | null },
    ) => {
      this.plans++;
      this.heads[0] = { ...this.heads[0], bounds: plan.bounds, rateEstimate: plan.rateEstimate };
      return true;
    },
    shardStep: async (_eventId: string, shard: number): Promise<AdmissionStepResult> => {
      this.stepped.push(shard);
      const { queueLength, activeCount, outboxLength } = this.heads[shard];
      return {
        moving: false,
        expired: 0,
        abandoned: 0,
        admitted: 0,
        queueLength,
        activeCount,
        outboxLength,
        wakeInMs: this.wakeInMs[shard],
      };
    },
  };

  /** The shards stepped by the next step, in order. */
  async step(admission: ShardedAdmission): Promise<number[]> {
    this.stepped.length = 0;
    const outcome = await admission.step('event', 3);
    expect(outcome.kind).toBe('stepped');
    return [...this.stepped].sort();
  }
}

describe('ShardedAdmission: what a quiet sharded event costs', () => {
  let shards: FakeShards;
  let admission: ShardedAdmission;
  let now: number;

  beforeEach(() => {
    shards = new FakeShards();
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    admission = new ShardedAdmission(
      shards.repository as unknown as AdmissionRepository,
      { repairShardConfigs: async () => undefined } as unknown as QueueRepository,
      { REDIS_COMMAND_TIMEOUT_MS: 1000, ADMISSION_BATCH_MAX: 100 } as Environment,
    );
  });
  afterEach(() => jest.restoreAllMocks());

  it('steps every shard once, then reads them only while nothing changes and nothing is due', async () => {
    expect(await shards.step(admission)).toEqual([0, 1, 2]);
    expect(shards.plans).toBe(1);
    for (let i = 0; i < 5; i++) {
      now += 4000;
      expect(await shards.step(admission)).toEqual([]);
    }
    // A paused event's plan does not change: written once.
    expect(shards.plans).toBe(1);
  });

  it('steps a shard that changed since its last step: a join, a checkout ended, a config change', async () => {
    await shards.step(admission);
    shards.heads[1] = { ...shards.heads[1], queueLength: 5 };
    expect(await shards.step(admission)).toEqual([1]);
    expect(await shards.step(admission)).toEqual([]);
    shards.heads[2] = { ...shards.heads[2], activeCount: 1 };
    expect(await shards.step(admission)).toEqual([2]);
    for (const shard of [0, 1, 2]) shards.heads[shard] = { ...shards.heads[shard], updatedAtMs: 2000 };
    expect(await shards.step(admission)).toEqual([0, 1, 2]);
  });

  it('steps a shard when the time-based work its step announced is due, and tells the scheduler when', async () => {
    shards.wakeInMs[2] = 3000;
    expect(await shards.step(admission)).toEqual([0, 1, 2]);
    shards.wakeInMs[2] = null;
    now += 1000;
    shards.stepped.length = 0;
    const early = await admission.step('event', 3);
    expect(shards.stepped).toEqual([]);
    expect(early).toMatchObject({ kind: 'stepped', result: { wakeInMs: 2000 } });
    now += 2000;
    expect(await shards.step(admission)).toEqual([2]);
    now += 60_000;
    expect(await shards.step(admission)).toEqual([]);
  });
});
