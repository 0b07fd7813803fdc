/**
 * Join throughput and latency: the real service against a bare node:http + ioredis server that
 * runs the very same join-12.lua, in the same run; then latency flatness as the queue grows, and
 * Redis memory per queued session.
 *
 *   npm run bench:join -- [--connections=50] [--duration=15] [--warmup=3] [--rounds=3]
 *                         [--flat-sizes=1000,1000000] [--flat-requests=30000] [--flat-rounds=6]
 *                         [--mem-sessions=100000] [--phases=memory,minimal,bare,bare-autopipelining,bare-coalesced,service,flat]
 *                         [--build=auto|always|never] [--group-wait=120] [--quiet-wait=90]
 *                         [--verbose=1] [--cpu-prof=1]
 *   (every option also reads BENCH_<NAME>, e.g. BENCH_DURATION=5)
 *
 * The servers under test run side by side (each a child process with its own event loop; the
 * idle ones cost next to nothing) and are measured in interleaved rounds: `duration` seconds
 * per server split into `rounds` runs, in rotating order, so a build or test run elsewhere on
 * the box hits all of them alike rather than skewing one. Figures are over all rounds.
 *
 * Writes bench-results/join.json. Everything is written under a key prefix of this run and
 * deleted at the end; the child processes are killed on any exit.
 */
import type Redis from 'ioredis';
import type { LuaScript } from '../apps/waitroom/src/redis/lua-scripts';
import {
  CpuMeter,
  REDIS_URL,
  Samples,
  benchOptions,
  commandStats,
  deleteByPrefix,
  ensureBuilt,
  fmt,
  kafkaPid,
  log,
  printTable,
  putEvent,
  ratio,
  redisInfo,
  redisPid,
  runBenchmark,
  startBareJoinServer,
  startService,
  summarize,
  waitForQuiet,
  writeResult,
  type LatencySummary,
} from './support/common';
import { serviceProfiler } from './support/cpuprofile-summary';
import { waitForIdleServiceGroup } from './support/kafka';
import { runJoinLoad, type LoadRun } from './support/load';
import {
  RedisKeys,
  checkDistScriptsMatch,
  eventSettings,
  holdRelayLease,
  joinCall,
  prefillJoins,
  script,
  upsertEvent,
  waitForEmptyOutbox,
} from './support/lua';
import { openBenchRun, type BenchRun } from './support/run';

const OPTIONS = benchOptions({
  connections: 50,
  duration: 15,
  warmup: 3,
  rounds: 3,
  flatSizes: [1000, 1_000_000],
  flatRequests: 30_000,
  /** Runs per queue size, alternating sizes, each of flat-requests/flat-rounds joins. */
  flatRounds: 6,
  memSessions: 100_000,
  phases: ['memory', 'minimal', 'bare', 'bare-autopipelining', 'bare-coalesced', 'service', 'flat'],
});
// Whole rounds, at least one.
OPTIONS.rounds = Math.max(1, Math.round(OPTIONS.rounds));
OPTIONS.flatRounds = Math.max(1, Math.round(OPTIONS.flatRounds));
const PHASES = new Set(OPTIONS.phases);
/** Sequential EVALSHA calls per queue size for the script-only latency. */
const SCRIPT_PROBES = 2000;

/** Commands whose counts show what the service did besides the join script (relay passes, scheduler). */
const COUNTED_COMMANDS = ['evalsha', 'xrange', 'xdel', 'smembers'] as const;

async function redisCalls(redis: Redis): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const command of COUNTED_COMMANDS) counts[command] = (await commandStats(redis, command)).calls;
  return counts;
}

interface Target {
  key: string;
  label: string;
  baseUrl: string;
  eventId: string;
  pids: Record<string, number | null | undefined>;
  /** Runs after each of this target's runs, outside the measurement (e.g. let the relay catch up). */
  after?: () => Promise<void>;
}

interface RoundFigures {
  perSecond: number;
  p50: number;
  p99: number;
  otherCoreShare: number | null;
}

interface Measured {
  ok: number;
  requests: number;
  statusCounts: Record<string, number>;
  errors: number;
  perSecond: number;
  latencyMs: LatencySummary;
  cpuUsPerJoin: Record<string, number | null>;
  /** Share of all cores that processes outside the measurement used meanwhile (0..1), mean over rounds. */
  otherCoreShare: number | null;
  /** Redis commands per successful join (INFO commandstats, server-wide). */
  redisCallsPerJoin: Record<string, number>;
  rounds: RoundFigures[];
}

/** Accumulates one target's runs. */
class Accumulator {
  private readonly samples = new Samples();
  private ok = 0;
  private requests = 0;
  private errors = 0;
  private flowingSeconds = 0;
  private readonly statusCounts: Record<string, number> = {};
  private readonly cpuMs: Record<string, number | null> = {};
  private readonly calls: Record<string, number> = {};
  private readonly others: number[] = [];
  readonly rounds: RoundFigures[] = [];

  add(
    run: LoadRun,
    cpuMs: Record<string, number | null>,
    otherCoreShare: number | null,
    calls: Record<string, number>,
  ): void {
    for (const value of run.samples) this.samples.push(value);
    this.ok += run.ok;
    this.requests += run.requests;
    this.errors += run.errors;
    this.flowingSeconds += run.flowingSeconds;
    for (const [status, count] of Object.entries(run.statusCounts))
      this.statusCounts[status] = (this.statusCounts[status] ?? 0) + count;
    for (const [name, ms] of Object.entries(cpuMs)) {
      const previous = this.cpuMs[name];
      this.cpuMs[name] = ms === null || previous === null ? null : (previous ?? 0) + ms;
    }
    for (const [command, count] of Object.entries(calls))
      this.calls[command] = (this.calls[command] ?? 0) + count;
    if (otherCoreShare !== null) this.others.push(otherCoreShare);
    this.rounds.push({
      perSecond: run.perSecond,
      p50: run.latencyMs.p50,
      p99: run.latencyMs.p99,
      otherCoreShare,
    });
  }

  result(): Measured {
    const cpuUsPerJoin: Record<string, number | null> = {};
    for (const [name, ms] of Object.entries(this.cpuMs))
      if (name !== 'other') cpuUsPerJoin[name] = ms === null || this.ok === 0 ? null : (ms * 1000) / this.ok;
    const redisCallsPerJoin: Record<string, number> = {};
    for (const [command, count] of Object.entries(this.calls))
      redisCallsPerJoin[command] = count / Math.max(1, this.ok);
    return {
      ok: this.ok,
      requests: this.requests,
      statusCounts: this.statusCounts,
      errors: this.errors,
      perSecond: this.ok / this.flowingSeconds,
      latencyMs: summarize(this.samples.values()),
      cpuUsPerJoin,
      otherCoreShare:
        this.others.length > 0
          ? this.others.reduce((sum, value) => sum + value, 0) / this.others.length
          : null,
      redisCallsPerJoin,
      rounds: this.rounds,
    };
  }
}

/** Warm-up each target, then `rounds` interleaved runs of duration/rounds seconds each. */
/** Every server under test must answer a join with the same fields: same bytes on the wire. */
async function checkSameJoinBody(targets: Target[]): Promise<void> {
  const fieldsOf = async (target: Target) => {
    const response = await fetch(`${target.baseUrl}/api/v1/waitroom/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: `shape-${target.key}`, event_id: target.eventId }),
    });
    if (response.status !== 201) throw new Error(`${target.label}: join answered ${response.status}`);
    return Object.keys((await response.json()) as object).join(',');
  };
  const shapes = await Promise.all(targets.map(fieldsOf));
  if (new Set(shapes).size > 1)
    throw new Error(`the servers answer different join bodies: ${JSON.stringify(shapes)}`);
}

async function measureInterleaved(redis: Redis, targets: Target[]): Promise<Record<string, Measured>> {
  await checkSameJoinBody(targets);
  for (const target of targets) {
    if (OPTIONS.warmup <= 0) break;
    log(`${target.label}: warm-up ${OPTIONS.warmup} s at ${OPTIONS.connections} connections`);
    await runJoinLoad({
      baseUrl: target.baseUrl,
      eventId: target.eventId,
      connections: OPTIONS.connections,
      duration: OPTIONS.warmup,
      userPrefix: 'w-',
    });
    await target.after?.();
  }
  const accumulators = new Map(targets.map((target) => [target.key, new Accumulator()]));
  const seconds = OPTIONS.duration / OPTIONS.rounds;
  for (let round = 0; round < OPTIONS.rounds; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const target of order) {
      await waitForQuiet(target.label);
      const statsBefore = await redisCalls(redis);
      const meter = new CpuMeter(target.pids);
      const run = await runJoinLoad({
        baseUrl: target.baseUrl,
        eventId: target.eventId,
        connections: OPTIONS.connections,
        duration: seconds,
        userPrefix: `m${round}-`,
      });
      const { cpuMs, otherCoreShare } = meter.stop();
      const statsAfter = await redisCalls(redis);
      const calls: Record<string, number> = {};
      for (const command of COUNTED_COMMANDS) calls[command] = statsAfter[command] - statsBefore[command];
      accumulators.get(target.key)!.add(run, cpuMs, otherCoreShare, calls);
      const bad = run.requests - run.ok;
      log(
        `round ${round + 1}/${OPTIONS.rounds} ${target.label}: ${fmt(run.perSecond, 0)} joins/s, p50 ${fmt(run.latencyMs.p50)} ms, p99 ${fmt(run.latencyMs.p99)} ms` +
          (otherCoreShare !== null && otherCoreShare > 0.05
            ? `; others used ${(otherCoreShare * 100).toFixed(0)}% of the box`
            : '') +
          (bad || run.errors
            ? ` (non-2xx ${bad}, errors ${run.errors}: ${JSON.stringify(run.statusCounts)})`
            : ''),
      );
      await target.after?.();
    }
  }
  return Object.fromEntries([...accumulators].map(([key, accumulator]) => [key, accumulator.result()]));
}

/** The bare server (the baseline) and its what-if variants, each measured when its phase is listed. */
const BARE_SERVERS = [
  { phase: 'bare', key: 'bare', label: 'bare', eventId: 'bench-bare', variant: 'plain' },
  // The least a join must do (support/minimal-join.lua), the baseline of the service's whole join.
  { phase: 'minimal', key: 'minimal', label: 'minimal join', eventId: 'bench-minimal', variant: 'minimal' },
  // The same server with ioredis auto-pipelining (concurrent EVALSHAs share a socket write).
  {
    phase: 'bare-autopipelining',
    key: 'bareAutoPipelining',
    label: 'bare + auto-pipelining',
    eventId: 'bench-bare-ap',
    variant: 'auto-pipelining',
  },
  // The same server holding its writes to the end of the loop's phase, as the service does
  // (REDIS_WRITE_COALESCING, decision 18): what that alone is worth, apart from the rest.
  {
    phase: 'bare-coalesced',
    key: 'bareCoalesced',
    label: 'bare + coalesced writes',
    eventId: 'bench-bare-co',
    variant: 'coalesced',
  },
] as const;

/** Sequential EVALSHA of join-12.lua from here: the script's own cost plus one loopback round trip (µs). */
async function scriptLatency(
  redis: Redis,
  joinScript: LuaScript,
  keys: RedisKeys,
  eventId: string,
  calls: number,
  userPrefix: string,
): Promise<LatencySummary> {
  const eventKeys = keys.forEvent(eventId);
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const args = joinCall(eventKeys, `${userPrefix}${i}`);
    const started = performance.now();
    await redis.evalsha(joinScript.sha, joinScript.numberOfKeys, ...args);
    samples.push((performance.now() - started) * 1000);
  }
  return summarize(samples);
}

async function memoryPhase(run: BenchRun) {
  const { redis, keys, prefix } = run;
  const joinScript = script(run.scripts, 'join');
  const variants = [
    { label: 'no idle timeout (default)', eventId: 'memory-2026a', idle: null },
    { label: 'idle timeout set (+ heartbeat zset entry)', eventId: 'memory-2026b', idle: 600 },
  ];
  const results = [];
  for (const variant of variants) {
    const eventKeys = keys.forEvent(variant.eventId);
    await upsertEvent(run, variant.eventId, eventSettings({ idleTimeoutSeconds: variant.idle }), false);
    // Past 128 members the zsets switch from listpack to skiplist; start measuring after that.
    await prefillJoins(redis, joinScript, eventKeys, 1000, {
      userPrefix: 'seed-',
      firstIndex: 10_000_000,
      dropOutbox: true,
    });
    const usedMemory = async () => Number((await redisInfo(redis, 'memory')).used_memory);
    await waitForQuiet('memory');
    const before = await usedMemory();
    log(`memory: ${OPTIONS.memSessions} joins into ${variant.eventId} (${variant.label})`);
    await prefillJoins(redis, joinScript, eventKeys, OPTIONS.memSessions, {
      userPrefix: 'user-',
      firstIndex: 10_000_000,
      dropOutbox: false,
    });
    const withOutbox = await usedMemory();
    const outboxLength = await redis.xlen(eventKeys.outbox);
    const outboxBytes = Number(await redis.call('MEMORY', 'USAGE', eventKeys.outbox, 'SAMPLES', '0'));
    await redis.del(eventKeys.outbox); // DEL, not UNLINK: freed now, so the next reading is without it
    const withoutOutbox = await usedMemory();

    // Per-key figures from MEMORY USAGE (per key, so other clients' activity does not blur them).
    const members = await redis.zrange(eventKeys.queue, 1000, 1000 + 999);
    const sessionSizes =
      members.length > 0
        ? await pipelineMemoryUsage(
            redis,
            members.map((member) => eventKeys.session(member)),
          )
        : [];
    const userSizes = await pipelineMemoryUsage(
      redis,
      Array.from({ length: Math.min(1000, OPTIONS.memSessions) }, (_, i) =>
        eventKeys.user(`user-${10_000_000 + i}`),
      ),
    );
    const queueLength = await redis.zcard(eventKeys.queue);
    const queueBytes = Number(await redis.call('MEMORY', 'USAGE', eventKeys.queue, 'SAMPLES', '0'));
    const seenLength = await redis.zcard(eventKeys.heartbeats);
    const seenBytes =
      seenLength > 0 ? Number(await redis.call('MEMORY', 'USAGE', eventKeys.heartbeats, 'SAMPLES', '0')) : 0;
    const mean = (values: number[]) =>
      values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
    const sessionHash = mean(sessionSizes);
    const userIndex = mean(userSizes);
    const queueEntry = queueBytes / queueLength;
    const heartbeatEntry = seenLength > 0 ? seenBytes / seenLength : 0;
    const result = {
      variant: variant.label,
      sessions: OPTIONS.memSessions,
      keyLengths: {
        session: eventKeys.session(members[0] ?? 'x'.repeat(22)).length,
        user: eventKeys.user('user-10000000').length,
        prefix: prefix.length,
        eventId: variant.eventId.length,
        userId: 'user-10000000'.length,
      },
      memoryUsageBytes: {
        sessionHash,
        userIndex,
        queueEntry,
        heartbeatEntry,
        perSession: sessionHash + userIndex + queueEntry + heartbeatEntry,
        outboxEntry: outboxBytes / Math.max(1, outboxLength),
      },
      usedMemoryDeltaBytes: {
        perSessionWithOutbox: (withOutbox - before) / OPTIONS.memSessions,
        perSessionWithoutOutbox: (withoutOutbox - before) / OPTIONS.memSessions,
      },
    };
    log(
      `memory: ${fmt(result.memoryUsageBytes.perSession, 0)} B/session by MEMORY USAGE, ` +
        `${fmt(result.usedMemoryDeltaBytes.perSessionWithoutOutbox, 0)} B/session by used_memory delta (outbox excluded)`,
    );
    results.push(result);
    await deleteByPrefix(redis, `${prefix}{${variant.eventId}}`);
  }
  return results;
}

async function pipelineMemoryUsage(redis: Redis, keys: string[]): Promise<number[]> {
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.call('MEMORY', 'USAGE', key);
  const replies = (await pipeline.exec()) ?? [];
  return replies
    .map(([error, value]) => (error ? NaN : Number(value)))
    .filter((value) => Number.isFinite(value));
}

async function main(): Promise<void> {
  const run = await openBenchRun('bj', OPTIONS);
  const { redis, facts, prefix, keys, scripts } = run;
  const needService = PHASES.has('service') || PHASES.has('flat');
  const build = needService ? ensureBuilt() : { built: false, reason: 'no service phase' };
  const joinScript = script(scripts, 'join');
  const pidOfRedis = await redisPid(redis);
  const output: Record<string, unknown> = { facts: { ...facts, build }, options: OPTIONS, prefix };

  // (d) memory first, while nothing else of ours writes to Redis.
  if (PHASES.has('memory')) output.memory = await memoryPhase(run);

  // (a) + (b): every server under test up at once, measured in interleaved rounds.
  const targets: Target[] = [];
  const stops: (() => Promise<void>)[] = [];
  const profiler = serviceProfiler(prefix);
  try {
    for (const bare of BARE_SERVERS) {
      if (!PHASES.has(bare.phase)) continue;
      await upsertEvent(run, bare.eventId, eventSettings(), false);
      const server = await startBareJoinServer(REDIS_URL, prefix, bare.variant);
      stops.push(server.stop);
      targets.push({
        key: bare.key,
        label: bare.label,
        baseUrl: server.baseUrl,
        eventId: bare.eventId,
        pids: { server: server.pid, redis: pidOfRedis },
      });
    }
    let svcBaseUrl: string | undefined;
    let svcPids: Record<string, number | null | undefined> = {};
    if (needService) {
      checkDistScriptsMatch(['join', 'admission-tick']);
      output.consumerGroup = await waitForIdleServiceGroup();
      log('starting the service');
      const svc = await startService(prefix, {}, profiler.nodeArgs);
      stops.push(svc.stop);
      svcBaseUrl = svc.baseUrl;
      const pids = { server: svc.child.pid, redis: pidOfRedis, kafka: kafkaPid() };
      svcPids = pids;
      if (PHASES.has('service')) {
        // As an operator sets it up: PUT registers the event, so the relay publishes every join to Kafka.
        await putEvent(svc.baseUrl, 'bench-svc', { capacity: 10_000_000, state: 'paused' });
        const relayLag: { lengthAtEnd: number; drainMs: number | null }[] = [];
        targets.push({
          key: 'service',
          label: 'service',
          baseUrl: svc.baseUrl,
          eventId: 'bench-svc',
          pids,
          after: async () => {
            relayLag.push(await waitForEmptyOutbox(redis, keys.forEvent('bench-svc').outbox, 60000));
          },
        });
        output.serviceRelayLag = relayLag;
        // Same service, an event another instance relays (the benchmark holds its relay lease):
        // the join's HTTP + Redis work without this instance publishing it. Every join marks its
        // event active, so an event merely left out of the registry is relayed all the same.
        await holdRelayLease(redis, keys, 'bench-svc-idle');
        await putEvent(svc.baseUrl, 'bench-svc-idle', { capacity: 10_000_000, state: 'paused' });
        targets.push({
          key: 'serviceRelayIdle',
          label: 'service, relay leased elsewhere',
          baseUrl: svc.baseUrl,
          eventId: 'bench-svc-idle',
          pids,
          after: () => expectUnpublished(redis, keys, 'bench-svc-idle'),
        });
      }
    }
    if (targets.length > 0) Object.assign(output, await measureInterleaved(redis, targets));

    // (c) flatness: the same service, the queue pre-filled to each size, sizes interleaved per round.
    if (PHASES.has('flat') && svcBaseUrl) output.flat = await flatPhase(run, svcBaseUrl, joinScript, svcPids);
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
  output.serviceCpuProfile = profiler.report(log);

  report(output);
  log(`wrote ${writeResult('join', output)}`);
}

interface FlatSize {
  size: number;
  prefillPerSecond: number;
  scriptRoundTripUs: LatencySummary;
  perSecond: number;
  latencyMs: LatencySummary;
  rounds: RoundFigures[];
}

async function flatPhase(
  run: BenchRun,
  baseUrl: string,
  joinScript: LuaScript,
  pids: Record<string, number | null | undefined>,
): Promise<FlatSize[]> {
  const { redis, keys, prefix } = run;
  const perRun = Math.max(OPTIONS.connections, Math.round(OPTIONS.flatRequests / OPTIONS.flatRounds));
  const sizes: {
    size: number;
    eventId: string;
    prefillPerSecond: number;
    script: LatencySummary;
    samples: Samples;
    ok: number;
    seconds: number;
    rounds: RoundFigures[];
  }[] = [];
  for (const size of OPTIONS.flatSizes) {
    const eventId = `flat-${size}`;
    const eventKeys = keys.forEvent(eventId);
    await upsertEvent(run, eventId, eventSettings(), false);
    // Not publishing, as the control above: latency against queue size, not against the relay.
    await holdRelayLease(redis, keys, eventId);
    log(
      `flat: pre-filling ${eventId} with ${size.toLocaleString('en-US')} queued sessions (join-12.lua, pipelined EVALSHA)`,
    );
    const fill = await prefillJoins(redis, joinScript, eventKeys, size, {
      userPrefix: 'p-',
      dropOutbox: true,
    });
    log(`flat: ${fmt(fill.perSecond, 0)} joins/s through pipelined EVALSHA (${fmt(fill.ms / 1000)} s)`);
    sizes.push({
      size,
      eventId,
      prefillPerSecond: fill.perSecond,
      script: summarize([]),
      samples: new Samples(),
      ok: 0,
      seconds: 0,
      rounds: [],
    });
  }
  /** Back to exactly `size` queued: the newest members (highest arrival scores) go. */
  const trim = async (entry: (typeof sizes)[number]) => {
    const eventKeys = keys.forEvent(entry.eventId);
    await redis.zremrangebyrank(eventKeys.queue, entry.size, -1);
    await redis.unlink(eventKeys.outbox);
  };
  for (const entry of sizes) {
    await waitForQuiet(`flat script ${entry.size}`);
    entry.script = await scriptLatency(
      redis,
      joinScript,
      keys,
      entry.eventId,
      Math.min(SCRIPT_PROBES, entry.size),
      's-',
    );
    await trim(entry);
  }
  if (OPTIONS.warmup > 0)
    await runJoinLoad({
      baseUrl,
      eventId: sizes[0].eventId,
      connections: OPTIONS.connections,
      duration: OPTIONS.warmup,
      userPrefix: 'w-',
    });
  await trim(sizes[0]);
  for (let round = 0; round < OPTIONS.flatRounds; round++) {
    for (const entry of round % 2 === 0 ? sizes : [...sizes].reverse()) {
      await waitForQuiet(`flat ${entry.size}`);
      const meter = new CpuMeter(pids);
      const run = await runJoinLoad({
        baseUrl,
        eventId: entry.eventId,
        connections: OPTIONS.connections,
        amount: perRun,
        userPrefix: `f${round}-`,
      });
      const { otherCoreShare } = meter.stop();
      for (const value of run.samples) entry.samples.push(value);
      entry.ok += run.ok;
      entry.seconds += run.flowingSeconds;
      entry.rounds.push({
        perSecond: run.perSecond,
        p50: run.latencyMs.p50,
        p99: run.latencyMs.p99,
        otherCoreShare,
      });
      log(
        `round ${round + 1}/${OPTIONS.flatRounds} flat ${entry.size.toLocaleString('en-US')} (+${perRun}): ${fmt(run.perSecond, 0)} joins/s, ` +
          `p50 ${fmt(run.latencyMs.p50)} ms, p99 ${fmt(run.latencyMs.p99)} ms` +
          (otherCoreShare !== null && otherCoreShare > 0.05
            ? `; others used ${(otherCoreShare * 100).toFixed(0)}% of the box`
            : ''),
      );
      await trim(entry);
    }
  }
  for (const entry of sizes) await deleteByPrefix(redis, `${prefix}{${entry.eventId}}`);
  return sizes.map((entry) => ({
    size: entry.size,
    joinsPerRun: perRun,
    prefillPerSecond: entry.prefillPerSecond,
    scriptRoundTripUs: entry.script,
    perSecond: entry.ok / entry.seconds,
    latencyMs: summarize(entry.samples.values()),
    rounds: entry.rounds,
  }));
}

/**
 * The control event's joins must still be in its outbox: had this instance's relay published
 * them, the "not publishing" figures would measure publishing too.
 */
async function expectUnpublished(redis: Redis, keys: RedisKeys, eventId: string): Promise<void> {
  const waiting = await redis.xlen(keys.forEvent(eventId).outbox);
  if (waiting === 0)
    throw new Error(`the service relayed ${eventId} although its relay lease is held elsewhere`);
}

function report(output: Record<string, unknown>): void {
  const bare = output.bare as Measured | undefined;
  const minimal = output.minimal as Measured | undefined;
  const bareAp = output.bareAutoPipelining as Measured | undefined;
  const bareCo = output.bareCoalesced as Measured | undefined;
  const service = output.service as Measured | undefined;
  const idle = output.serviceRelayIdle as Measured | undefined;
  const ratios: Record<string, number | null> = {};
  const rows: (string | number)[][] = [];
  const row = (label: string, run: Measured | undefined) => {
    if (!run) return;
    const spread = run.rounds.map((round) => round.perSecond);
    rows.push([
      label,
      fmt(run.perSecond, 0),
      `${fmt(Math.min(...spread), 0)}-${fmt(Math.max(...spread), 0)}`,
      fmt(run.latencyMs.p50),
      fmt(run.latencyMs.p99),
      fmt(run.cpuUsPerJoin.server, 0),
      fmt(run.cpuUsPerJoin.redis, 0),
      fmt(run.cpuUsPerJoin.kafka ?? null, 0),
      fmt(run.cpuUsPerJoin.loadGenerator, 0),
      run.otherCoreShare === null ? '-' : `${(run.otherCoreShare * 100).toFixed(0)}%`,
      bare ? fmt(ratio(run.perSecond, bare.perSecond)) : '-',
    ]);
  };
  row('minimal join (node:http + ioredis, least script)', minimal);
  row('bare node:http + ioredis', bare);
  row('bare + ioredis auto-pipelining (what-if)', bareAp);
  row('bare + coalesced writes, as the service (what-if)', bareCo);
  row('service (PUT event, relay publishing)', service);
  row('service (relay leased elsewhere, not publishing)', idle);
  if (rows.length > 0) {
    printTable(
      `Join, ${OPTIONS.connections} connections, ${OPTIONS.duration} s per server in ${OPTIONS.rounds} interleaved rounds (latency ms; CPU µs per join)`,
      [
        'server',
        'joins/s',
        'per round',
        'p50',
        'p99',
        'CPU server',
        'CPU redis',
        'CPU kafka',
        'CPU loadgen',
        'others',
        'x bare',
      ],
      rows,
    );
  }
  if (service)
    console.log(
      `service: Redis commands per join ${JSON.stringify(roundAll(service.redisCallsPerJoin))} (xrange = relay batches)`,
    );
  if (bare && service) {
    ratios.serviceOverBareThroughput = ratio(service.perSecond, bare.perSecond);
    ratios.serviceOverBareP50 = ratio(service.latencyMs.p50, bare.latencyMs.p50);
    ratios.serviceOverBareP99 = ratio(service.latencyMs.p99, bare.latencyMs.p99);
    ratios.serviceOverBareServerCpuPerJoin = ratio(service.cpuUsPerJoin.server, bare.cpuUsPerJoin.server);
  }
  if (minimal && service) {
    // The yardsticks: throughput >= 0.6 of the minimal join, Redis CPU per join <= 1.5x.
    ratios.serviceOverMinimalThroughput = ratio(service.perSecond, minimal.perSecond);
    ratios.serviceOverMinimalServerCpuPerJoin = ratio(
      service.cpuUsPerJoin.server,
      minimal.cpuUsPerJoin.server,
    );
    ratios.serviceOverMinimalRedisCpuPerJoin = ratio(service.cpuUsPerJoin.redis, minimal.cpuUsPerJoin.redis);
  }
  if (minimal && idle) {
    ratios.relayIdleOverMinimalThroughput = ratio(idle.perSecond, minimal.perSecond);
    ratios.relayIdleOverMinimalRedisCpuPerJoin = ratio(idle.cpuUsPerJoin.redis, minimal.cpuUsPerJoin.redis);
  }
  if (bare && idle) {
    ratios.relayIdleOverBareThroughput = ratio(idle.perSecond, bare.perSecond);
    ratios.relayIdleOverBareServerCpuPerJoin = ratio(idle.cpuUsPerJoin.server, bare.cpuUsPerJoin.server);
  }
  for (const [name, whatIf] of [
    ['bareAutoPipelining', bareAp],
    ['bareCoalesced', bareCo],
  ] as const) {
    if (!bare || !whatIf) continue;
    ratios[`${name}OverBareThroughput`] = ratio(whatIf.perSecond, bare.perSecond);
    ratios[`${name}OverBareServerCpuPerJoin`] = ratio(whatIf.cpuUsPerJoin.server, bare.cpuUsPerJoin.server);
  }
  if (bareCo && service)
    ratios.serviceOverBareCoalescedThroughput = ratio(service.perSecond, bareCo.perSecond);
  const flat = output.flat as FlatSize[] | undefined;
  if (flat && flat.length > 0) {
    const base = flat[0];
    printTable(
      `Join latency vs queue size (service, ${OPTIONS.connections} connections, ${OPTIONS.flatRounds} alternating runs of ${Math.round(OPTIONS.flatRequests / OPTIONS.flatRounds)} joins per size; queue trimmed back after each)`,
      [
        'queue size',
        'joins/s',
        'p50 ms',
        'p99 ms',
        'p50 x',
        'p99 x',
        'script p50 µs',
        'script p99 µs',
        'script p50 x',
      ],
      flat.map((entry) => [
        entry.size.toLocaleString('en-US'),
        fmt(entry.perSecond, 0),
        fmt(entry.latencyMs.p50),
        fmt(entry.latencyMs.p99),
        fmt(ratio(entry.latencyMs.p50, base.latencyMs.p50)),
        fmt(ratio(entry.latencyMs.p99, base.latencyMs.p99)),
        fmt(entry.scriptRoundTripUs.p50, 0),
        fmt(entry.scriptRoundTripUs.p99, 0),
        fmt(ratio(entry.scriptRoundTripUs.p50, base.scriptRoundTripUs.p50)),
      ]),
    );
    const last = flat[flat.length - 1];
    ratios.flatP50LargestOverSmallest = ratio(last.latencyMs.p50, base.latencyMs.p50);
    ratios.flatP99LargestOverSmallest = ratio(last.latencyMs.p99, base.latencyMs.p99);
    ratios.flatScriptP50LargestOverSmallest = ratio(last.scriptRoundTripUs.p50, base.scriptRoundTripUs.p50);
  }
  const memory = output.memory as
    | {
        variant: string;
        memoryUsageBytes: Record<string, number>;
        usedMemoryDeltaBytes: Record<string, number>;
      }[]
    | undefined;
  if (memory) {
    printTable(
      `Redis memory per queued session (bytes; ${OPTIONS.memSessions.toLocaleString('en-US')} sessions; outbox excluded unless stated)`,
      [
        'event',
        'session hash',
        'user index',
        'queue entry',
        'heartbeat',
        'sum (MEMORY USAGE)',
        'used_memory delta',
        'outbox entry',
        'delta incl. outbox',
      ],
      memory.map((entry) => [
        entry.variant,
        fmt(entry.memoryUsageBytes.sessionHash, 0),
        fmt(entry.memoryUsageBytes.userIndex, 0),
        fmt(entry.memoryUsageBytes.queueEntry, 0),
        fmt(entry.memoryUsageBytes.heartbeatEntry, 0),
        fmt(entry.memoryUsageBytes.perSession, 0),
        fmt(entry.usedMemoryDeltaBytes.perSessionWithoutOutbox, 0),
        fmt(entry.memoryUsageBytes.outboxEntry, 0),
        fmt(entry.usedMemoryDeltaBytes.perSessionWithOutbox, 0),
      ]),
    );
  }
  output.ratios = ratios;
  console.log(`\nratios: ${JSON.stringify(roundAll(ratios))}`);
}

function roundAll(record: Record<string, number | null>): Record<string, number | null> {
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [
      key,
      value === null ? null : Math.round(value * 1000) / 1000,
    ]),
  );
}

runBenchmark(main);
