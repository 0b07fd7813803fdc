/**
 * The admission step (admission-tick-9.lua) in Redis, against a bare ZPOPMIN of the same batch
 * on a sorted set of the same size, in the same run:
 *  1. throughput: a queue pre-filled with --fill sessions, event open, capacity huge, no rate
 *     limit; ticks of --batch (the service's ADMISSION_BATCH_MAX, 1000) back to back until the
 *     queue is empty -> sessions moved per second (target: 10,000/s);
 *  2. growth: the cost of one tick admitting --tick-batch (100) sessions as the queue grows
 *     through --sizes (1k .. 1M); the queue is topped up after every tick so its size holds.
 * No service process: this measures the Lua step the scheduler runs, and the scheduler's own
 * ceiling (ADMISSION_BATCH_MAX per ADMISSION_TICK_MS) is printed next to it.
 *
 *   npm run bench:admission -- [--fill=200000] [--batch=1000] [--tick-batch=100]
 *                              [--sizes=1000,10000,100000,1000000] [--ticks=200] [--phases=throughput,growth]
 *
 * Writes bench-results/admission.json; deletes its keys at the end.
 */
import { admissionStepScript } from '../apps/waitroom/src/admission/admission.scripts';
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { LuaScript } from '../apps/waitroom/src/redis/lua-scripts';
import {
  CpuMeter,
  benchOptions,
  deleteByPrefix,
  fmt,
  log,
  printTable,
  ratio,
  redisPid,
  runBenchmark,
  summarize,
  waitForQuiet,
  writeResult,
  type LatencySummary,
} from './support/common';
import {
  admissionCall,
  eventSettings,
  prefillJoins,
  script,
  type ScriptedRedis,
  upsertEvent,
  type EventKeys,
} from './support/lua';
import { openBenchRun } from './support/run';

const OPTIONS = benchOptions({
  fill: 200_000,
  batch: 1000,
  tickBatch: 100,
  sizes: [1000, 10_000, 100_000, 1_000_000],
  ticks: 200,
  phases: ['throughput', 'growth'],
});
const PHASES = new Set(OPTIONS.phases);
/** The service's defaults (config/environment.ts): one step per event every tick. */
const SERVICE_TICK_MS = 250;
const SERVICE_BATCH_MAX = 1000;

/** Scores as join-12.lua gives them to priority-0 arrivals (queue-order.lua). */
const ARRIVAL_BASE = 9 * 100_000_000_000_000 + 1_099_511_627_776;

/** A plain sorted set shaped like the queue: 22-character random members, arrival scores. */
class BareQueue {
  private seq = 0;
  constructor(
    private readonly redis: Redis,
    readonly key: string,
  ) {}

  async add(count: number): Promise<void> {
    for (let done = 0; done < count; done += 5000) {
      const size = Math.min(5000, count - done);
      const members = randomBytes(16 * size);
      const args: (string | number)[] = [];
      for (let i = 0; i < size; i++)
        args.push(ARRIVAL_BASE + ++this.seq, members.subarray(i * 16, i * 16 + 16).toString('base64url'));
      await this.redis.zadd(this.key, ...args);
    }
  }
}

interface TickStats {
  calls: number;
  moved: number;
  seconds: number;
  perSecond: number;
  callMs: LatencySummary;
  /** Redis CPU per 1,000 sessions moved (ms). */
  redisCpuMsPerThousand: number | null;
  /** Share of all cores used by other processes meanwhile (0..1). */
  otherCoreShare: number | null;
}

function cpuFigures(
  meter: CpuMeter,
  moved: number,
): { redisCpuMsPerThousand: number | null; otherCoreShare: number | null } {
  const { cpuMs, otherCoreShare } = meter.stop();
  return {
    redisCpuMsPerThousand: cpuMs.redis === null ? null : (cpuMs.redis * 1000) / Math.max(1, moved),
    otherCoreShare,
  };
}

const share = (value: number | null) => (value === null ? '-' : `${(value * 100).toFixed(0)}%`);

/** A row of the throughput table. */
const stepRow = (label: string, stats: TickStats, timesZpopmin: string) => [
  label,
  fmt(stats.perSecond, 0),
  stats.calls,
  fmt(stats.callMs.p50),
  fmt(stats.callMs.p99),
  fmt(stats.redisCpuMsPerThousand),
  share(stats.otherCoreShare),
  timesZpopmin,
];

async function runTick(redis: Redis, tick: LuaScript, keys: EventKeys, batch: number): Promise<number> {
  const reply: unknown = await redis.evalsha(tick.sha, tick.numberOfKeys, ...admissionCall(keys, batch));
  const result = admissionStepScript.parse(reply, {
    keys,
    batchMax: batch,
    retentionSeconds: 3600,
    messageIdPrefix: '',
  });
  if (!('moving' in result) || !result.moving) throw new Error(`admission tick: ${JSON.stringify(reply)}`);
  return result.admitted;
}

/** What both phases work with: the run's Redis and keys, the two scripts, Redis's pid (its CPU). */
interface Phase extends ScriptedRedis {
  tick: LuaScript;
  join: LuaScript;
  pidOfRedis: number | null;
}

/** An open event (capacity huge, no rate) left out of the registry: nothing but the phase moves it. */
async function openEvent(phase: Phase, eventId: string): Promise<EventKeys> {
  await upsertEvent(phase, eventId, eventSettings({ state: 'open' }), false);
  return phase.keys.forEvent(eventId);
}

async function throughputPhase(phase: Phase) {
  const { redis, keys, tick, pidOfRedis } = phase;
  const eventKeys = await openEvent(phase, 'admit-fast');
  log(
    `throughput: pre-filling ${OPTIONS.fill} queued sessions (join-12.lua) and a bare sorted set of ${OPTIONS.fill}`,
  );
  await prefillJoins(redis, phase.join, eventKeys, OPTIONS.fill, {
    userPrefix: 'user-',
    firstIndex: 10_000_000,
    dropOutbox: true,
  });
  const bare = new BareQueue(redis, `${keys.prefix}{admit-bare}:queue`);
  await bare.add(OPTIONS.fill);

  await waitForQuiet('admission throughput');
  const tickMs: number[] = [];
  let moved = 0;
  let meter = new CpuMeter({ redis: pidOfRedis });
  const started = performance.now();
  for (;;) {
    const callStarted = performance.now();
    const admitted = await runTick(redis, tick, eventKeys, OPTIONS.batch);
    tickMs.push(performance.now() - callStarted);
    moved += admitted;
    if (admitted === 0) break;
  }
  const tickSeconds = (performance.now() - started) / 1000;
  const ticks: TickStats = {
    calls: tickMs.length,
    moved,
    seconds: tickSeconds,
    perSecond: moved / tickSeconds,
    callMs: summarize(tickMs.slice(0, -1)),
    ...cpuFigures(meter, moved),
  };
  log(
    `throughput: admission-tick moved ${moved} in ${fmt(tickSeconds)} s: ${fmt(ticks.perSecond, 0)}/s, ${fmt(ticks.callMs.p50)} ms per call`,
  );
  const outboxEntries = await redis.xlen(eventKeys.outbox);
  await redis.unlink(eventKeys.outbox);

  await waitForQuiet('ZPOPMIN throughput');
  const popMs: number[] = [];
  let popped = 0;
  meter = new CpuMeter({ redis: pidOfRedis });
  const popStarted = performance.now();
  for (;;) {
    const callStarted = performance.now();
    const reply = await redis.zpopmin(bare.key, OPTIONS.batch);
    popMs.push(performance.now() - callStarted);
    popped += reply.length / 2;
    if (reply.length === 0) break;
  }
  const popSeconds = (performance.now() - popStarted) / 1000;
  const pops: TickStats = {
    calls: popMs.length,
    moved: popped,
    seconds: popSeconds,
    perSecond: popped / popSeconds,
    callMs: summarize(popMs.slice(0, -1)),
    ...cpuFigures(meter, popped),
  };
  log(`throughput: bare ZPOPMIN moved ${popped} in ${fmt(popSeconds)} s: ${fmt(pops.perSecond, 0)}/s`);
  await deleteByPrefix(redis, `${keys.prefix}{admit-`);
  return { tick: ticks, zpopmin: pops, readyEntriesWritten: outboxEntries };
}

async function growthPhase(phase: Phase) {
  const { redis, keys, tick, join, pidOfRedis } = phase;
  const eventKeys = await openEvent(phase, 'admit-grow');
  const bare = new BareQueue(redis, `${keys.prefix}{admit-grow-bare}:queue`);
  let users = 0;
  const topUp = async (count: number) => {
    await prefillJoins(redis, join, eventKeys, count, {
      userPrefix: 'user-',
      firstIndex: 10_000_000 + users,
      chunk: 5000,
      inFlight: count > 5000 ? 3 : 1,
      dropOutbox: true,
    });
    users += count;
  };
  const rows = [];
  for (const size of [...OPTIONS.sizes].sort((a, b) => a - b)) {
    const missing = size - (await redis.zcard(eventKeys.queue));
    if (missing > 0) {
      log(`growth: topping the queue up to ${size} (join-12.lua) and the bare sorted set too`);
      await topUp(missing);
      await bare.add(size - (await redis.zcard(bare.key)));
    }
    await redis.unlink(eventKeys.outbox);
    await waitForQuiet(`growth ${size}`);
    const tickMs: number[] = [];
    const popMs: number[] = [];
    const pingMs: number[] = [];
    const meter = new CpuMeter({ redis: pidOfRedis });
    for (let i = 0; i < OPTIONS.ticks; i++) {
      let started = performance.now();
      const admitted = await runTick(redis, tick, eventKeys, OPTIONS.tickBatch);
      tickMs.push(performance.now() - started);
      if (admitted !== Math.min(OPTIONS.tickBatch, size))
        throw new Error(`growth: a tick admitted ${admitted}, expected ${OPTIONS.tickBatch}`);
      started = performance.now();
      const reply = await redis.zpopmin(bare.key, OPTIONS.tickBatch);
      popMs.push(performance.now() - started);
      started = performance.now();
      await redis.ping();
      pingMs.push(performance.now() - started);
      // Untimed: put the queue (and the bare set) back to the size being measured.
      await topUp(admitted);
      await bare.add(reply.length / 2);
    }
    const { otherCoreShare } = meter.stop();
    const queueLength = await redis.zcard(eventKeys.queue);
    const row = {
      otherCoreShare,
      size,
      queueLength,
      activeLength: await redis.zcard(eventKeys.active),
      tickMs: summarize(tickMs),
      zpopminMs: summarize(popMs),
      pingMs: summarize(pingMs),
    };
    log(
      `growth ${size}: tick of ${OPTIONS.tickBatch} p50 ${fmt(row.tickMs.p50, 3)} ms, p99 ${fmt(row.tickMs.p99, 3)} ms; ZPOPMIN ${OPTIONS.tickBatch} p50 ${fmt(row.zpopminMs.p50, 3)} ms`,
    );
    rows.push(row);
  }
  await deleteByPrefix(redis, `${keys.prefix}{admit-grow`);
  return rows;
}

async function main(): Promise<void> {
  const run = await openBenchRun('ba', OPTIONS);
  const { redis, facts, prefix, scripts } = run;
  const phase: Phase = {
    ...run,
    tick: script(scripts, 'admission-tick'),
    join: script(scripts, 'join'),
    pidOfRedis: await redisPid(redis),
  };
  const output: Record<string, unknown> = { facts, options: OPTIONS, prefix };
  const ratios: Record<string, number | null> = {};

  if (PHASES.has('throughput')) {
    const result = await throughputPhase(phase);
    output.throughput = result;
    const schedulerCeiling = (SERVICE_BATCH_MAX * 1000) / SERVICE_TICK_MS;
    printTable(
      `Admission throughput: ${OPTIONS.fill.toLocaleString('en-US')} queued, batches of ${OPTIONS.batch}, back to back (one connection)`,
      ['step', 'moved/s', 'calls', 'ms/call p50', 'ms/call p99', 'Redis CPU ms/1,000', 'others', 'x ZPOPMIN'],
      [
        stepRow(
          'admission-tick-9.lua',
          result.tick,
          fmt(ratio(result.tick.perSecond, result.zpopmin.perSecond)),
        ),
        stepRow('bare ZPOPMIN (baseline)', result.zpopmin, '1.00'),
      ],
    );
    console.log(
      `target 10,000/s: the Lua step sustains ${fmt(result.tick.perSecond / 10_000)}x the target; the scheduler as configured by default ` +
        `(ADMISSION_BATCH_MAX ${SERVICE_BATCH_MAX} every ADMISSION_TICK_MS ${SERVICE_TICK_MS}) caps one instance at ${schedulerCeiling.toLocaleString('en-US')}/s per event`,
    );
    ratios.tickOverZpopminThroughput = ratio(result.tick.perSecond, result.zpopmin.perSecond);
    ratios.tickOverTarget = ratio(result.tick.perSecond, 10_000);
    output.schedulerCeilingPerInstancePerEvent = schedulerCeiling;
  }

  if (PHASES.has('growth')) {
    const rows = await growthPhase(phase);
    output.growth = rows;
    const first = rows[0];
    printTable(
      `One admission step of ${OPTIONS.tickBatch} vs queue size (ms per call, one connection, loopback; ${OPTIONS.ticks} calls per size)`,
      [
        'queue size',
        'tick p50',
        'tick p99',
        'ZPOPMIN p50',
        'ZPOPMIN p99',
        'PING p50',
        'tick / ZPOPMIN p50',
        'tick p50 x smallest',
        'others',
      ],
      rows.map((row) => [
        row.size.toLocaleString('en-US'),
        fmt(row.tickMs.p50, 3),
        fmt(row.tickMs.p99, 3),
        fmt(row.zpopminMs.p50, 3),
        fmt(row.zpopminMs.p99, 3),
        fmt(row.pingMs.p50, 3),
        fmt(ratio(row.tickMs.p50, row.zpopminMs.p50)),
        fmt(ratio(row.tickMs.p50, first.tickMs.p50)),
        share(row.otherCoreShare),
      ]),
    );
    const last = rows[rows.length - 1];
    ratios.growthTickP50LargestOverSmallest = ratio(last.tickMs.p50, first.tickMs.p50);
    ratios.growthTickP99LargestOverSmallest = ratio(last.tickMs.p99, first.tickMs.p99);
    ratios.growthTickOverZpopminP50AtLargest = ratio(last.tickMs.p50, last.zpopminMs.p50);
  }
  output.ratios = ratios;
  console.log(
    `\nratios: ${JSON.stringify(ratios, (_key, value: unknown) => (typeof value === 'number' ? Math.round(value * 1000) / 1000 : value))}`,
  );
  log(`wrote ${writeResult('admission', output)}`);
}

runBenchmark(main);
