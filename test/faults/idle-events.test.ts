import { Topics } from '@waitroom/contracts';
import Redis from 'ioredis';
import { RETIRE_GRACE_MS } from '../../apps/waitroom/src/registry/active-events';
import { TopicCollector } from '../support/kafka';
import { eventually, startApp, type RunningApp, type TestRedis } from '../support/app-harness';
import { RedisProcess } from '../support/redis-processes';
import { ADMIN_KEY } from '../support/test-env';

/**
 * Issue 10, finding 3: past events must cost nothing. 1,000 configured but idle events, then the
 * same 1,000 removed, on a Redis of the test's own (so its command counter sees only this
 * instance). Before, every instance walked every event ever created: a relay lease and an XRANGE
 * per event every relay interval, an admission step per event every tick.
 *
 * Issue 23: events with people waiting and nothing happening (paused, or their checkout slots
 * taken) must cost little too: before, the relay visited each one's outbox every 20 ms and the
 * scheduler stepped it every tick (~180 commands/s per event and instance).
 */
describe('idle and removed events', () => {
  const EVENTS = 1000;
  const redisProcess = new RedisProcess(6397);
  let svc: RunningApp;
  let probe: Redis;
  let redis: TestRedis;
  const admin = { 'x-api-key': ADMIN_KEY };
  const ids = Array.from({ length: EVENTS }, (_, i) => `idle-${String(i).padStart(4, '0')}`);

  beforeAll(async () => {
    await redisProcess.start();
    svc = await startApp({ env: { REDIS_URL: redisProcess.url } });
    redis = svc.redis;
    probe = new Redis(redisProcess.port, '127.0.0.1');
  });
  afterAll(async () => {
    probe?.disconnect();
    await svc?.close();
    redisProcess.cleanup();
  });

  async function inBatches(work: (eventId: string) => Promise<unknown>): Promise<void> {
    for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map(work));
  }

  /** Until the active set is empty: the scheduler retires an event a grace after its last change. */
  const allRetired = () =>
    eventually(
      () => redis.client.zcard(redis.keys.activeEvents),
      (count) => count === 0,
      RETIRE_GRACE_MS + 15000,
      500,
    );

  /**
   * Redis commands per second and this process's CPU (cores) over a window, with the app idle.
   * Redis 7 counts the commands a script runs in total_commands_processed too, so a script call
   * costs its EVALSHA and every command inside.
   */
  async function measure(windowMs = 4000): Promise<{ commandsPerSecond: number; cores: number }> {
    const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await probe.info('stats'))![1]);
    const before = await commands();
    const cpu = process.cpuUsage();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const elapsedMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    // Minus the two INFO calls of the measurement itself.
    const counted = (await commands()) - before - 2;
    return {
      commandsPerSecond: (counted * 1000) / elapsedMs,
      cores: (used.user + used.system) / 1000 / elapsedMs,
    };
  }

  it('1,000 configured idle events add < 1,000 Redis commands/s and < 5% of a core; removed ones add nothing', async () => {
    // What the instance costs with no event at all: the figures below are compared with it. The
    // first window after start-up also holds the test process's own warm-up (modules compiled on
    // first use), which would make the baseline, and so every comparison, too generous.
    await measure(2000);
    const empty = await measure();
    // Half open, half closed, all empty: configured, with nobody waiting.
    await inBatches((eventId) =>
      svc.http.upsertEvent(eventId, {
        capacity: 10,
        state: Number(eventId.slice(5)) % 2 ? 'closed' : 'open',
      }),
    );
    // Operator changes mark events active; the scheduler retires them once the grace has passed.
    await allRetired();
    const idle = await measure();
    process.stdout.write(
      `[idle-events] no event: ${empty.commandsPerSecond.toFixed(0)} Redis commands/s, ${(empty.cores * 100).toFixed(1)}% of a core; ` +
        `${EVENTS} idle events: ${idle.commandsPerSecond.toFixed(0)} Redis commands/s, ${(idle.cores * 100).toFixed(1)}% of a core\n`,
    );
    expect(idle.commandsPerSecond - empty.commandsPerSecond).toBeLessThan(1000);
    expect(idle.cores - empty.cores).toBeLessThan(0.05);

    // An idle event still works at once: a join marks it, and the person is admitted.
    const joined = await svc.http.join('wakes-it-up', ids[0]);
    expect(joined.status).toBe(201);
    await svc.http.waitForStatus(joined.body.session_id, 'ready');

    // Remove them all (closing the open ones first).
    await inBatches(async (eventId) => {
      await svc.http.upsertEvent(eventId, { capacity: 10, state: 'closed' });
      const removed = await svc.http.delete(`/api/v1/waitroom/admin/events/${eventId}`, admin);
      expect(removed.status).toBe(200);
    });
    expect(await redis.client.scard(redis.keys.eventRegistry)).toBe(0);
    await allRetired();
    const removed = await measure();
    process.stdout.write(
      `[idle-events] ${EVENTS} removed events: ${removed.commandsPerSecond.toFixed(0)} Redis commands/s, ${(removed.cores * 100).toFixed(1)}% of a core\n`,
    );
    // "Nothing": the same as with no event, within the noise of a few timer-driven reads.
    expect(removed.commandsPerSecond).toBeLessThan(empty.commandsPerSecond + 10);
    // Removed events leave no keys but the one session's history, and relay leases that are
    // running out (they expire by themselves, within seconds). The session-ticket key belongs
    // to the service, not to any event: it is there from start-up on, events or none.
    const left = (await probe.keys(`${svc.env.REDIS_KEY_PREFIX}*`)).filter(
      (key) => !key.includes('}:s:') && key !== redis.keys.sessionTicketKey,
    );
    const lasting = [];
    for (const key of left) if ((await probe.pttl(key)) < 0) lasting.push(key);
    expect(lasting).toEqual([]);
  });

  it('events with people waiting and nothing happening cost <= 10 Redis commands/s each, and still move at once', async () => {
    const QUIET = 100;
    const PEOPLE = 5;
    await allRetired();
    const empty = await measure();
    const quietIds = Array.from({ length: QUIET }, (_, i) => `quiet-${String(i).padStart(3, '0')}`);
    const collector = await TopicCollector.start([Topics.QUEUE_JOINED, Topics.QUEUE_READY]);
    try {
      for (let i = 0; i < QUIET; i += 10) {
        await Promise.all(
          quietIds.slice(i, i + 10).map(async (eventId, j) => {
            // Half paused with everybody waiting; half open with their one checkout slot taken for an hour.
            const paused = (i + j) % 2 === 0;
            await svc.http.upsertEvent(eventId, {
              capacity: 1,
              checkout_timeout_seconds: 3600,
              state: paused ? 'paused' : 'open',
            });
            await svc.http.joinMany(eventId, PEOPLE + (paused ? 0 : 1), eventId);
          }),
        );
      }
      // Everything the joins wrote is published, and the open events' first person admitted.
      await collector.waitFor(
        Topics.QUEUE_JOINED,
        (message) => String(message.body?.event_id).startsWith('quiet-'),
        QUIET * PEOPLE + QUIET / 2,
      );
      await collector.waitFor(
        Topics.QUEUE_READY,
        (message) => String(message.body?.event_id).startsWith('quiet-'),
        QUIET / 2,
      );
      // Two windows of the scheduler's longest rest (QUIET_EVENT_STEP_MAX_MS), so its visits are averaged in.
      const quiet = await measure(8000);
      const perEvent = (quiet.commandsPerSecond - empty.commandsPerSecond) / QUIET;
      process.stdout.write(
        `[idle-events] ${QUIET} quiet events (${PEOPLE} waiting each): ${quiet.commandsPerSecond.toFixed(0)} Redis commands/s ` +
          `(${empty.commandsPerSecond.toFixed(0)} with no event), ` +
          `${perEvent.toFixed(2)} per quiet event\n`,
      );
      expect(perEvent).toBeLessThanOrEqual(10);

      // Quiet is not asleep: a join is published, and a resumed event admits at once.
      const late = await svc.http.join('late-joiner', quietIds[0]);
      expect(late.status).toBe(201);
      await collector.waitFor(
        Topics.QUEUE_JOINED,
        (message) => message.body?.session_id === late.body.session_id,
        1,
        2000,
      );
      expect((await svc.http.upsertEvent(quietIds[0], { capacity: 1, state: 'open' })).status).toBe(200);
      await collector.waitForEvent(Topics.QUEUE_READY, quietIds[0], 1, 2000);
    } finally {
      await collector.stop();
    }
  });
});
