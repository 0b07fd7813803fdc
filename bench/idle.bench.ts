/**
 * What events without work cost: one service instance (the built dist, as `npm start` runs it)
 * on a Redis of this benchmark's own, so Redis's command counter sees that instance alone.
 * Three phases, each measured over --window seconds with nobody using the service:
 *   1. one configured event (the baseline),
 *   2. --events more configured, empty events (half open, half closed),
 *   3. those same events closed and removed (DELETE /admin/events/:id).
 * Reported: the service's CPU (share of one core) and Redis commands per second, and the
 * difference from the baseline (target: < 5% of a core and < 1,000 commands/s for 1,000 idle
 * events; nothing for removed ones).
 *
 *   npm run bench:idle -- [--events=1000] [--window=30]
 *
 * Writes bench-results/idle.json.
 */
import type Redis from 'ioredis';
import { RETIRE_GRACE_MS } from '../apps/waitroom/src/registry/active-events';
import {
  benchOptions,
  deleteEvent,
  fmt,
  log,
  printTable,
  putEvent,
  runBenchmark,
  sleep,
  writeResult,
} from './support/common';
import { measureWindow, openOwnRedisRun, SERVICE_PREFIX, startServiceOn } from './support/own-redis';

const OPTIONS = benchOptions({
  events: 1000,
  // One sweep period (ActiveEvents' SWEEP_INTERVAL_MS): the sweep's reads are averaged in, not caught or missed.
  window: 30,
});

interface Phase {
  phase: string;
  events: number;
  serviceCores: number;
  redisCommandsPerSecond: number;
}

async function measure(redis: Redis, servicePid: number, phase: string, events: number): Promise<Phase> {
  const { cores, commandsPerSecond } = await measureWindow(redis, servicePid, OPTIONS.window);
  const result = { phase, events, serviceCores: cores, redisCommandsPerSecond: commandsPerSecond };
  log(
    `${phase}: ${fmt(result.serviceCores * 100, 1)}% of a core, ${fmt(result.redisCommandsPerSecond, 0)} Redis commands/s`,
  );
  return result;
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

  const [baseline] = phases;
  printTable(
    'Idle cost of one service instance (no traffic)',
    ['phase', 'service CPU (% of a core)', 'Redis commands/s', 'added CPU vs one event', 'added commands/s'],
    phases.map((p) => [
      p.phase,
      fmt(p.serviceCores * 100, 1),
      fmt(p.redisCommandsPerSecond, 0),
      fmt((p.serviceCores - baseline.serviceCores) * 100, 1),
      fmt(p.redisCommandsPerSecond - baseline.redisCommandsPerSecond, 0),
    ]),
  );
  writeResult('idle', { windowSeconds: OPTIONS.window, events: OPTIONS.events, phases });
});
