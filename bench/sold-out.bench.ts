/**
 * What a sold-out costs (issue 25, item 1): --queued sessions of one event ended by sold-out-7.lua
 * in slices of --slice (QueueRepository.soldOut's size by default), on a Redis of this benchmark's own, while
 * another event takes joins one at a time (the latency a person joining another sale sees).
 * Reported: the time to end them all, Redis CPU over that time (used_cpu_sys + used_cpu_user),
 * the slices, the longest slice, and the other event's join latency (p50, p99, max) before and
 * during the sold-out.
 *
 *   npm run bench:sold-out -- [--queued=100000] [--baseline-seconds=2] [--slice=250]
 *
 * Writes bench-results/sold-out.json.
 */
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { SESSIONS_ENDED_PER_SOLD_OUT_CALL } from '../apps/waitroom/src/queue/queue.repository';
import { soldOutScript } from '../apps/waitroom/src/queue/queue.scripts';
import { benchOptions, fmt, log, printTable, runBenchmark, sleep, writeResult } from './support/common';
import {
  appScripts,
  eventSettings,
  joinCall,
  loadIntoRedis,
  prefillJoins,
  RedisKeys,
  script,
  upsertEvent,
} from './support/lua';
import { openOwnRedisRun } from './support/own-redis';

const OPTIONS = benchOptions({
  queued: 100_000,
  baselineSeconds: 2,
  slice: SESSIONS_ENDED_PER_SOLD_OUT_CALL,
});
const SLICE = OPTIONS.slice;

async function cpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)![1]);
  return value('used_cpu_sys') + value('used_cpu_user');
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Joins of another event, one at a time, on a connection of their own, until `stop()`. */
function joinLoop(redis: Redis, sha: string, numberOfKeys: number, keys: ReturnType<RedisKeys['forEvent']>) {
  const latencies: number[] = [];
  let running = true;
  let index = 0;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      await redis.evalsha(sha, numberOfKeys, ...joinCall(keys, `other-${index++}`));
      latencies.push(performance.now() - started);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return latencies.sort((a, b) => a - b);
    },
  };
}

runBenchmark(async () => {
  const { redis, url, facts } = await openOwnRedisRun('sold-out', OPTIONS);
  const scripts = appScripts();
  await loadIntoRedis(redis, scripts);
  const keys = new RedisKeys('bench:');
  const target = keys.forEvent('sold-out-target');
  const other = keys.forEvent('sold-out-other');
  const scripted = { redis, scripts, keys };
  await upsertEvent(scripted, 'sold-out-target', eventSettings({ state: 'paused' }), false);
  await upsertEvent(scripted, 'sold-out-other', eventSettings({ state: 'paused' }), false);

  log(`prefilling ${OPTIONS.queued} queued sessions`);
  const prefill = await prefillJoins(redis, script(scripts, 'join'), target, OPTIONS.queued, {
    userPrefix: 'fan-',
    dropOutbox: true,
  });
  log(`prefilled in ${fmt(prefill.ms / 1000, 1)} s`);

  const { default: IORedis } = await import('ioredis');
  const joiner = new IORedis(url);
  const join = script(scripts, 'join');
  const baselineLoop = joinLoop(joiner, join.sha, join.numberOfKeys, other);
  await sleep(OPTIONS.baselineSeconds * 1000);
  const baseline = await baselineLoop.stop();

  const soldOut = script(scripts, 'sold-out');
  const duringLoop = joinLoop(joiner, join.sha, join.numberOfKeys, other);
  const cpuBefore = await cpuSeconds(redis);
  const started = performance.now();
  let ended = 0;
  let slices = 0;
  let longestSliceMs = 0;
  for (;;) {
    const input = {
      keys: target,
      retentionSeconds: 3600,
      sessionsPerCall: SLICE,
      messageIdPrefix: randomUUID(),
      message: 'Sold out.',
      actor: 'bench',
      auditCap: 10_000,
      firstSlice: slices === 0,
    };
    const call = soldOutScript.build(input);
    const sliceStarted = performance.now();
    const reply = soldOutScript.parse(
      await redis.evalsha(soldOut.sha, soldOut.numberOfKeys, ...call.keys, ...call.args),
      input,
    );
    longestSliceMs = Math.max(longestSliceMs, performance.now() - sliceStarted);
    slices++;
    if (reply.code === 'NOT_FOUND') throw new Error('sold-out: event not found');
    ended += reply.ended;
    if (reply.code === 'DONE') break;
  }
  const totalMs = performance.now() - started;
  const cpu = (await cpuSeconds(redis)) - cpuBefore;
  const during = await duringLoop.stop();
  joiner.disconnect();

  const queueLeft = await redis.zcard(target.queue);
  const outbox = await redis.xlen(target.outbox);
  if (ended !== OPTIONS.queued || queueLeft !== 0 || outbox !== OPTIONS.queued)
    throw new Error(
      `ended ${ended}, queue left ${queueLeft}, outbox ${outbox}: expected ${OPTIONS.queued}, 0, ${OPTIONS.queued}`,
    );

  const latency = (sorted: number[]) => ({
    joins: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1],
  });
  const result = {
    facts,
    options: OPTIONS,
    queued: OPTIONS.queued,
    ended,
    slices,
    totalMs,
    sessionsPerSecond: (ended / totalMs) * 1000,
    redisCpuSeconds: cpu,
    redisCpuMicrosPerSession: (cpu * 1e6) / ended,
    longestSliceMs,
    otherEventJoins: { before: latency(baseline), during: latency(during) },
  };
  printTable(
    `Sold out: ${OPTIONS.queued} queued sessions, slices of ${SLICE}`,
    ['time', 'sessions/s', 'Redis CPU', 'µs/session', 'slices', 'longest slice'],
    [
      [
        `${fmt(totalMs / 1000, 2)} s`,
        fmt(result.sessionsPerSecond, 0),
        `${fmt(cpu, 2)} s`,
        fmt(result.redisCpuMicrosPerSession, 1),
        slices,
        `${fmt(longestSliceMs, 1)} ms`,
      ],
    ],
  );
  printTable(
    'Joins of another event (one at a time)',
    ['when', 'joins', 'p50', 'p99', 'max'],
    (['before', 'during'] as const).map((when) => {
      const l = result.otherEventJoins[when];
      return [when, l.joins, `${fmt(l.p50Ms, 2)} ms`, `${fmt(l.p99Ms, 2)} ms`, `${fmt(l.maxMs, 2)} ms`];
    }),
  );
  log(`wrote ${writeResult('sold-out', result)}`);
});
