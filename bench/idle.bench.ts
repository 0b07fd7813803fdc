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
  ADMIN_KEY,
  ensureBuilt,
  fmt,
  httpJson,
  log,
  numberOption,
  onCleanup,
  printTable,
  processCpuMs,
  putEvent,
  runBenchmark,
  sleep,
  startService,
  writeResult,
} from './support/common';
import { commandsProcessed, startOwnRedis } from './support/own-redis';

const EVENTS = numberOption('events', 1000);
// One sweep period (ActiveEvents' SWEEP_INTERVAL_MS): the sweep's reads are averaged in, not caught or missed.
const WINDOW_S = numberOption('window', 30);

interface Phase {
  phase: string;
  events: number;
  serviceCores: number;
  redisCommandsPerSecond: number;
}

async function measure(redis: Redis, servicePid: number, phase: string, events: number): Promise<Phase> {
  const commands = () => commandsProcessed(redis);
  const commandsBefore = await commands();
  const cpuBefore = processCpuMs(servicePid)!;
  const started = performance.now();
  await sleep(WINDOW_S * 1000);
  const wallMs = performance.now() - started;
  const cpuMs = processCpuMs(servicePid)! - cpuBefore;
  // The two INFO calls of the measurement are not the service's.
  const counted = (await commands()) - commandsBefore - 2;
  const result = {
    phase,
    events,
    serviceCores: cpuMs / wallMs,
    redisCommandsPerSecond: (counted * 1000) / wallMs,
  };
  log(
    `${phase}: ${fmt(result.serviceCores * 100, 1)}% of a core, ${fmt(result.redisCommandsPerSecond, 0)} Redis commands/s`,
  );
  return result;
}

async function waitUntilNoActiveEvents(redis: Redis, prefix: string): Promise<void> {
  const deadline = Date.now() + RETIRE_GRACE_MS + 30_000;
  while ((await redis.zcard(`${prefix}active-events`)) > 0) {
    if (Date.now() > deadline) throw new Error('events were not retired from the active set');
    await sleep(500);
  }
}

runBenchmark(async () => {
  ensureBuilt();
  const { redis, url } = await startOwnRedis('idle-bench');
  const prefix = 'wr:';
  const service = await startService(prefix, { REDIS_URL: url, LOG_LEVEL: 'error' });
  onCleanup(() => service.stop());
  const pid = service.child.pid!;
  const ids = Array.from({ length: EVENTS }, (_, i) => `idle-${i}`);
  const inBatches = async (work: (eventId: string) => Promise<unknown>) => {
    for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map(work));
  };

  await putEvent(service.baseUrl, 'baseline', { capacity: 10 });
  // The baseline event retires like any other; the wait also lets the fresh process warm up.
  await waitUntilNoActiveEvents(redis, prefix);
  const phases: Phase[] = [await measure(redis, pid, 'one event', 1)];

  log(`configuring ${EVENTS} empty events`);
  await inBatches((eventId) =>
    putEvent(service.baseUrl, eventId, {
      capacity: 10,
      state: Number(eventId.slice(5)) % 2 ? 'closed' : 'open',
    }),
  );
  await waitUntilNoActiveEvents(redis, prefix);
  phases.push(await measure(redis, pid, `${EVENTS} idle events`, EVENTS + 1));

  log(`removing the ${EVENTS} events`);
  await inBatches(async (eventId) => {
    await putEvent(service.baseUrl, eventId, { capacity: 10, state: 'closed' });
    const removed = await httpJson(
      'DELETE',
      `${service.baseUrl}/api/v1/waitroom/admin/events/${eventId}`,
      undefined,
      {
        'x-api-key': ADMIN_KEY,
      },
    );
    if (removed.status !== 200) throw new Error(`DELETE ${eventId}: ${removed.status}`);
  });
  await waitUntilNoActiveEvents(redis, prefix);
  phases.push(await measure(redis, pid, `${EVENTS} removed events`, 1));

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
  writeResult('idle', { windowSeconds: WINDOW_S, events: EVENTS, phases });
});
