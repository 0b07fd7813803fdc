/**
 * What events without work cost: one service instance (the built dist, as `npm start` runs it)
 * on a Redis of this benchmark's own, so Redis's command counter sees that instance alone.
 * Four phases, each measured over --window seconds with nobody using the service:
 *   1. one configured event (the baseline),
 *   2. --events more configured, empty events (half open, half closed),
 *   3. those same events closed and removed (DELETE /admin/events/:id),
 *   4. --quiet-events events with --quiet-people queued each and nothing happening (half
 *      paused, half open with their one checkout slot taken), nobody polling.
 * Reported: the service's CPU (share of one core) and Redis commands per second (those scripts run
 * included, as Redis 7 counts them), and the difference from the baseline (targets: < 5% of a
 * core and < 1,000 commands/s for 1,000 idle events; nothing for removed ones; <= 10 commands/s
 * per quiet event). Then, with the quiet events still there, --probe-joins joins one at a time
 * (one every --probe-gap-ms) on an open event: how long from each join's answer until an
 * independent consumer reads its QUEUE_JOINED (target: p99 < 100 ms at rest).
 *
 *   npm run bench:idle -- [--events=1000] [--window=30] [--quiet-events=200] [--quiet-people=20]
 *                          [--quiet-shards=1]
 *
 * Writes bench-results/idle.json.
 */
import { Topics } from '@waitroom/contracts';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RETIRE_GRACE_MS } from '../apps/waitroom/src/registry/active-events';
import {
  benchOptions,
  deleteEvent,
  fmt,
  httpJson,
  log,
  printTable,
  putEvent,
  runBenchmark,
  sleep,
  summarize,
  writeResult,
  type LatencySummary,
} from './support/common';
import { startCollector } from './support/kafka';
import { JOIN_PATH } from './support/load';
import { measureWindow, openOwnRedisRun, SERVICE_PREFIX, startServiceOn } from './support/own-redis';

const OPTIONS = benchOptions({
  events: 1000,
  // One sweep period (ActiveEvents' SWEEP_INTERVAL_MS): the sweep's reads are averaged in, not caught or missed.
  window: 30,
  quietEvents: 200,
  quietPeople: 20,
  // The quiet events' shards (docs/decisions/0023-sharded-events.md): each step reads every shard.
  quietShards: 1,
  probeJoins: 200,
  probeGapMs: 50,
});

interface Phase {
  phase: string;
  events: number;
  serviceCores: number;
  /** Redis 7 counts the commands a script runs too: a script call is its EVALSHA and every command inside. */
  redisCommandsPerSecond: number;
}

async function measure(redis: Redis, servicePid: number, phase: string, events: number): Promise<Phase> {
  const { cores, commandsPerSecond } = await measureWindow(redis, servicePid, OPTIONS.window);
  const result = { phase, events, serviceCores: cores, redisCommandsPerSecond: commandsPerSecond };
  log(
    `${phase}: ${fmt(result.serviceCores * 100, 1)}% of a core, ${fmt(commandsPerSecond, 0)} Redis commands/s`,
  );
  return result;
}

/** Joins `count` people to `eventId`, 50 at a time; the user ids are `<label>-<n>`. */
async function joinPeople(baseUrl: string, eventId: string, label: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async (_, j) => {
        const response = await httpJson('POST', `${baseUrl}${JOIN_PATH}`, {
          event_id: eventId,
          user_id: `${label}-${i + j}`,
        });
        if (response.status !== 201) throw new Error(`join ${eventId}: ${response.status}`);
      }),
    );
  }
}

/**
 * Joins one at a time on `eventId` and times each QUEUE_JOINED from the join's answer to an
 * independent consumer's read of it.
 */
async function probeJoinLatency(
  baseUrl: string,
  eventId: string,
): Promise<LatencySummary & { missing: number }> {
  const answeredAt = new Map<string, number>();
  const latencies: number[] = [];
  const early = new Map<string, number>();
  const consumer = await startCollector(
    `waitroom-bench-idle-${randomUUID()}`,
    Topics.QUEUE_JOINED,
    eventId,
    (body, at) => {
      const answered = answeredAt.get(body.session_id);
      if (answered === undefined) early.set(body.session_id, at);
      else latencies.push(at - answered);
    },
  );
  try {
    for (let i = 0; i < OPTIONS.probeJoins; i++) {
      const response = await httpJson('POST', `${baseUrl}${JOIN_PATH}`, {
        event_id: eventId,
        user_id: `probe-${i}`,
      });
      const at = performance.now();
      if (response.status !== 201) throw new Error(`probe join: ${response.status}`);
      const sessionId = response.body.session_id as string;
      const read = early.get(sessionId);
      // Read before the answer arrived: it took no time after it.
      if (read !== undefined) latencies.push(0);
      else answeredAt.set(sessionId, at);
      await sleep(OPTIONS.probeGapMs);
    }
    const deadline = Date.now() + 10_000;
    while (latencies.length < OPTIONS.probeJoins && Date.now() < deadline) await sleep(50);
  } finally {
    await consumer.disconnect();
  }
  return { ...summarize(latencies), missing: OPTIONS.probeJoins - latencies.length };
}

async function waitUntilNoActiveEvents(redis: Redis): Promise<void> {
  const deadline = Date.now() + RETIRE_GRACE_MS + 30_000;
  while ((await redis.zcard(`${SERVICE_PREFIX}active-events`)) > 0) {
    if (Date.now() > deadline) throw new Error('events were not retired from the active set');
    await sleep(500);
  }
}

runBenchmark(async () => {
  const { redis, url } = await openOwnRedisRun('idle-bench', OPTIONS);
  const service = await startServiceOn(url);
  const pid = service.child.pid!;
  const ids = Array.from({ length: OPTIONS.events }, (_, i) => `idle-${i}`);
  const inBatches = async (work: (eventId: string) => Promise<unknown>) => {
    for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map(work));
  };

  await putEvent(service.baseUrl, 'baseline', { capacity: 10 });
  // The baseline event retires like any other; the wait also lets the fresh process warm up.
  await waitUntilNoActiveEvents(redis);
  const phases: Phase[] = [await measure(redis, pid, 'one event', 1)];

  log(`configuring ${OPTIONS.events} empty events`);
  await inBatches((eventId) =>
    putEvent(service.baseUrl, eventId, {
      capacity: 10,
      state: Number(eventId.slice(5)) % 2 ? 'closed' : 'open',
    }),
  );
  await waitUntilNoActiveEvents(redis);
  phases.push(await measure(redis, pid, `${OPTIONS.events} idle events`, OPTIONS.events + 1));

  log(`removing the ${OPTIONS.events} events`);
  await inBatches(async (eventId) => {
    await putEvent(service.baseUrl, eventId, { capacity: 10, state: 'closed' });
    await deleteEvent(service.baseUrl, eventId);
  });
  await waitUntilNoActiveEvents(redis);
  phases.push(await measure(redis, pid, `${OPTIONS.events} removed events`, 1));

  log(`configuring ${OPTIONS.quietEvents} quiet events with ${OPTIONS.quietPeople} people queued each`);
  const quietIds = Array.from({ length: OPTIONS.quietEvents }, (_, i) => `quiet-${i}`);
  for (let i = 0; i < quietIds.length; i += 20) {
    await Promise.all(
      quietIds.slice(i, i + 20).map(async (eventId, j) => {
        // Paused ones hold everybody; open ones have their one slot taken for the whole run.
        const paused = (i + j) % 2 === 0;
        await putEvent(service.baseUrl, eventId, {
          capacity: 1,
          checkout_timeout_seconds: 3600,
          state: paused ? 'paused' : 'open',
          ...(OPTIONS.quietShards > 1 ? { shards: OPTIONS.quietShards } : {}),
        });
        await joinPeople(service.baseUrl, eventId, 'quiet', OPTIONS.quietPeople + (paused ? 0 : 1));
      }),
    );
  }
  // Let the joins' QUEUE_JOINED go out and the admissions of the open ones happen.
  await sleep(5000);
  phases.push(await measure(redis, pid, `${OPTIONS.quietEvents} quiet events`, OPTIONS.quietEvents + 1));

  await putEvent(service.baseUrl, 'probe', { capacity: 1, state: 'paused' });
  log(`${OPTIONS.probeJoins} joins one at a time, every ${OPTIONS.probeGapMs} ms, beside the quiet events`);
  const joinedLatency = await probeJoinLatency(service.baseUrl, 'probe');
  log(
    `QUEUE_JOINED after the join's answer: p50 ${fmt(joinedLatency.p50, 1)} ms, p99 ${fmt(joinedLatency.p99, 1)} ms, ` +
      `max ${fmt(joinedLatency.max, 1)} ms (missing ${joinedLatency.missing})`,
  );

  const [baseline] = phases;
  const quiet = phases[phases.length - 1];
  const perQuietEvent = {
    commandsPerSecond: (quiet.redisCommandsPerSecond - baseline.redisCommandsPerSecond) / OPTIONS.quietEvents,
    serviceCores: (quiet.serviceCores - baseline.serviceCores) / OPTIONS.quietEvents,
  };
  printTable(
    'Idle cost of one service instance (no traffic)',
    [
      'phase',
      'service CPU (% of a core)',
      'Redis commands/s',
      'added CPU vs one event',
      'added commands/s',
    ],
    phases.map((p) => [
      p.phase,
      fmt(p.serviceCores * 100, 1),
      fmt(p.redisCommandsPerSecond, 0),
      fmt((p.serviceCores - baseline.serviceCores) * 100, 1),
      fmt(p.redisCommandsPerSecond - baseline.redisCommandsPerSecond, 0),
    ]),
  );
  log(
    `per quiet event: ${fmt(perQuietEvent.commandsPerSecond, 2)} Redis commands/s (target <= 10), ` +
      `QUEUE_JOINED p99 ${fmt(joinedLatency.p99, 1)} ms at rest (target < 100)`,
  );
  writeResult('idle', {
    windowSeconds: OPTIONS.window,
    events: OPTIONS.events,
    options: OPTIONS,
    phases,
    perQuietEvent,
    joinedLatency,
  });
});
