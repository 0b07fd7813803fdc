/**
 * The per-event ceiling (issue 12): how many joins/s and status polls/s Redis itself can run for
 * one event, whatever the number of service instances. Every key of an event shares one hash
 * slot (docs/decisions/0004-redis-key-layout.md), so one event's scripts run on one Redis core.
 *
 * Method: a redis-server of the benchmark's own (no persistence), the app's join-12.lua and
 * get-session-5.lua called with EVALSHA in pipelines (several in flight, so Redis never waits for
 * the client), KEYS/ARGV built by the app's own wrappers. Reported: the rate reached, and the
 * Redis CPU per call (its /proc CPU time over the window), whose inverse is the ceiling of one
 * fully busy Redis core: the client shares this 2-core box, so the rate reached understates it.
 * Beside them, the minimal join (bench/support/minimal-join.lua, the least a join must do) on a
 * queue of the same size: what the service's join script costs beyond it.
 *
 *   flock /tmp/waitroom-bench.lock npm run bench:ceiling -- [--calls=200000] [--queued=200000]
 *
 * Writes bench-results/ceiling.json.
 */
import type Redis from 'ioredis';
import type { LuaScript } from '../apps/waitroom/src/redis/lua-scripts';
import { getSessionScript } from '../apps/waitroom/src/queue/queue.scripts';
import {
  benchOptions,
  fmt,
  log,
  printTable,
  processCpuMs,
  runBenchmark,
  waitForQuiet,
  writeResult,
} from './support/common';
import {
  RedisKeys,
  appScripts,
  eventSettings,
  joinCall,
  loadIntoRedis,
  minimalJoinCall,
  minimalJoinScript,
  pipelinedEvalsha,
  prefillJoins,
  script,
  upsertEvent,
  type EventKeys,
} from './support/lua';
import { startOwnRedis } from './support/own-redis';

const OPTIONS = benchOptions({ calls: 200_000, queued: 200_000 });

interface Ceiling {
  script: string;
  variant: string;
  calls: number;
  perSecond: number;
  redisCpuUsPerCall: number;
  redisCores: number;
  ceilingPerSecond: number;
}

/** `calls` pipelined EVALSHA calls of one script; the rate, and Redis's CPU per call and in cores. */
async function pipelined(
  redis: Redis,
  pid: number,
  calls: number,
  lua: LuaScript,
  makeCall: (index: number) => (string | number)[],
  check: (reply: unknown) => void,
): Promise<{ perSecond: number; redisCpuUsPerCall: number; redisCores: number }> {
  const cpuBefore = processCpuMs(pid)!;
  const started = performance.now();
  await pipelinedEvalsha(redis, lua, calls, makeCall, { chunk: 1000, inFlight: 4, check });
  const wallMs = performance.now() - started;
  const cpuMs = processCpuMs(pid)! - cpuBefore;
  return {
    perSecond: (calls / wallMs) * 1000,
    redisCpuUsPerCall: (cpuMs * 1000) / calls,
    redisCores: cpuMs / wallMs,
  };
}

async function main(): Promise<void> {
  const { redis, pid } = await startOwnRedis('ceiling');
  const scripts = appScripts();
  await loadIntoRedis(redis, scripts);
  const keys = new RedisKeys('wr:');
  const join = script(scripts, 'join');
  const getSession = script(scripts, 'get-session');
  const results: Ceiling[] = [];
  const record = (
    name: string,
    variant: string,
    calls: number,
    figures: Awaited<ReturnType<typeof pipelined>>,
  ) => {
    const row = {
      script: name,
      variant,
      calls,
      ...figures,
      ceilingPerSecond: 1e6 / figures.redisCpuUsPerCall,
    };
    results.push(row);
    log(
      `${name} (${variant}): ${fmt(row.perSecond, 0)}/s reached, Redis ${fmt(row.redisCpuUsPerCall)} µs/call at ${fmt(row.redisCores)} core -> ceiling ${fmt(row.ceilingPerSecond, 0)}/s`,
    );
  };

  for (const variant of [
    { label: 'no idle timeout', eventId: 'ceil-a', idle: null },
    { label: 'idle timeout (heartbeat ZADD)', eventId: 'ceil-b', idle: 600 },
  ]) {
    const eventKeys: EventKeys = keys.forEvent(variant.eventId);
    await upsertEvent(
      { redis, scripts, keys },
      variant.eventId,
      eventSettings({ idleTimeoutSeconds: variant.idle }),
      false,
    );
    log(`${variant.eventId}: pre-filling ${OPTIONS.queued.toLocaleString('en-US')} queued sessions`);
    await prefillJoins(redis, join, eventKeys, OPTIONS.queued, { userPrefix: 'p-', dropOutbox: true });
    await waitForQuiet(`join ${variant.eventId}`, 0.25);
    const joins = await pipelined(
      redis,
      pid,
      OPTIONS.calls,
      join,
      (i) => joinCall(eventKeys, `j-${i}`),
      (reply) => {
        if ((reply as string[])[0] !== 'CREATED') throw new Error(`join: ${String(reply)}`);
      },
    );
    record(
      'join-12.lua',
      `${variant.label}, ${OPTIONS.queued.toLocaleString('en-US')} queued`,
      OPTIONS.calls,
      joins,
    );
    await redis.unlink(eventKeys.outbox);
    const members = await redis.zrange(eventKeys.queue, 0, 19_999);
    await waitForQuiet(`get-session ${variant.eventId}`, 0.25);
    const polls = await pipelined(
      redis,
      pid,
      OPTIONS.calls,
      getSession,
      (i) => {
        const call = getSessionScript.build({
          keys: eventKeys,
          memberId: members[(i * 7919) % members.length],
        });
        return [...call.keys, ...call.args];
      },
      (reply) => {
        if ((reply as string[])[0] !== 'OK') throw new Error(`get-session: ${String(reply)}`);
      },
    );
    record(
      'get-session-5.lua',
      `${variant.label}, ${(OPTIONS.queued + OPTIONS.calls).toLocaleString('en-US')} queued`,
      OPTIONS.calls,
      polls,
    );
  }

  const minimalKeys = keys.forEvent('ceil-minimal');
  await redis.script('LOAD', minimalJoinScript.source);
  const created = (reply: unknown) => {
    if ((reply as string[])[0] !== 'CREATED') throw new Error(`minimal join: ${String(reply)}`);
  };
  log(`ceil-minimal: pre-filling ${OPTIONS.queued.toLocaleString('en-US')} queued sessions`);
  await pipelinedEvalsha(
    redis,
    minimalJoinScript,
    OPTIONS.queued,
    (i) => minimalJoinCall(minimalKeys, `p-${i}`),
    {
      chunk: 2000,
      inFlight: 3,
      check: created,
    },
  );
  await redis.unlink(minimalKeys.outbox);
  await waitForQuiet('minimal join', 0.25);
  record(
    'minimal-join.lua',
    `the baseline, ${OPTIONS.queued.toLocaleString('en-US')} queued`,
    OPTIONS.calls,
    await pipelined(
      redis,
      pid,
      OPTIONS.calls,
      minimalJoinScript,
      (i) => minimalJoinCall(minimalKeys, `j-${i}`),
      created,
    ),
  );

  printTable(
    'Per-event ceiling: one event = one slot = one Redis core (own redis-server, pipelined EVALSHA)',
    ['script', 'event', 'calls/s reached', 'Redis cores', 'Redis µs/call', 'ceiling/s (1 core)'],
    results.map((row) => [
      row.script,
      row.variant,
      fmt(row.perSecond, 0),
      fmt(row.redisCores),
      fmt(row.redisCpuUsPerCall),
      fmt(row.ceilingPerSecond, 0),
    ]),
  );
  console.log(`\nwrote ${writeResult('ceiling', { date: new Date().toISOString(), ...OPTIONS, results })}`);
}

runBenchmark(main);
