import Redis from 'ioredis';
import { RedisKeys } from '../apps/waitroom/src/redis/redis-keys';
import { deleteKeys, eventually } from './support/app-harness';
import { monitorRedis } from './support/redis-monitor';
import { ServiceProcess } from './support/service-process';
import { ADMIN_KEY, TEST_REDIS_URL, uniquePrefix } from './support/test-env';

const POLL_SNAPSHOT_MS = 100;

/**
 * Issue 12, across processes: a session id issued by one instance is answered from the snapshot
 * by another (they share the ticket key through Redis, with no configuration), and what one
 * instance changes reaches the other's polls within a snapshot refresh.
 */
describe('status polls across two service processes', () => {
  const prefix = uniquePrefix('polls');
  const keys = new RedisKeys(prefix);
  const eventId = `polls-${Date.now()}`;
  const redis = new Redis(TEST_REDIS_URL);
  let joiner: ServiceProcess;
  let poller: ServiceProcess;

  beforeAll(async () => {
    [joiner, poller] = [0, 1].map(() =>
      ServiceProcess.onStack(prefix, {
        ADMISSION_TICK_MS: '50',
        POLL_SNAPSHOT_MS: String(POLL_SNAPSHOT_MS),
      }),
    );
    await Promise.all([joiner.start(), poller.start()]);
  }, 120000);

  afterAll(async () => {
    await Promise.all([joiner?.stop(), poller?.stop()]);
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  const member = (sessionId: string) => sessionId.split('~')[1];
  const ranks = async (ids: string[]) =>
    Promise.all(
      ids.map(async (id) => {
        const rank = await redis.zrank(keys.forEvent(eventId).queue, member(id));
        return rank === null ? null : rank + 1;
      }),
    );
  const pollAll = async (instance: ServiceProcess, ids: string[]) =>
    (await Promise.all(ids.map((id) => instance.http.session(id)))).map((response) => {
      expect(response.status).toBe(200);
      return response.body;
    });

  it('answers ids issued elsewhere without reading them, and sees changes made elsewhere within a refresh', async () => {
    const created = await joiner.http.put(
      `/api/v1/waitroom/admin/events/${eventId}`,
      { capacity: 3, state: 'paused' },
      { 'x-api-key': ADMIN_KEY },
    );
    expect(created.status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 100; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: 25 }, (_, j) => joiner.http.join(`fan-${i + j}`, eventId)),
      );
      ids.push(...batch.map((response) => response.body.session_id as string));
    }
    expect(new Set(ids).size).toBe(100);
    await pollAll(poller, ids); // the poller's first poll loads its snapshot

    // The poller verifies the joiner's tickets: not one read of a session in 300 polls.
    const sessionKeys = keys.forEvent(eventId).sessionPrefix;
    const monitor = await monitorRedis(TEST_REDIS_URL);
    let bodies: Record<string, unknown>[] = [];
    for (let round = 0; round < 3; round++) bodies = await pollAll(poller, ids);
    await monitor.stop(redis);
    const sessionReads = monitor.commands.filter((args) =>
      args.some((arg) => arg.startsWith(sessionKeys) && arg.length > sessionKeys.length),
    );
    expect(sessionReads).toEqual([]);
    // The monitor did see the polls' work (the snapshots' scripts), so the empty list means something.
    expect(monitor.commands.some((args) => /^evalsha$/i.test(args[0]))).toBe(true);
    expect(bodies.map((body) => body.position)).toEqual(await ranks(ids));
    expect(bodies.map((body) => body.session_id)).toEqual(ids);

    // Leaves through the joiner: the poller shows them within a refresh, and moves the others up.
    const leavers = ids.filter((_, i) => i % 10 === 0);
    for (const id of leavers) expect((await joiner.http.leave(id)).status).toBe(200);
    const stayers = ids.filter((id) => !leavers.includes(id));
    const leftAt = Date.now();
    await eventually(
      async () => (await pollAll(poller, leavers)).map((body) => body.status),
      (statuses) => statuses.every((status) => status === 'left'),
      5000,
      10,
    );
    expect(Date.now() - leftAt).toBeLessThanOrEqual(4 * POLL_SNAPSHOT_MS + 200);
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_SNAPSHOT_MS));
    expect((await pollAll(poller, stayers)).map((body) => body.position)).toEqual(await ranks(stayers));

    // Admissions made by either instance's scheduler reach the poller, token included.
    await joiner.http.put(
      `/api/v1/waitroom/admin/events/${eventId}`,
      { capacity: 3, state: 'open' },
      { 'x-api-key': ADMIN_KEY },
    );
    const admitted = await eventually(
      () => pollAll(poller, stayers.slice(0, 4)),
      (list) => list.filter((body) => body.status === 'ready').length === 3,
      5000,
      20,
    );
    expect(admitted.slice(0, 3).every((body) => typeof body.admission_token === 'string')).toBe(true);
    expect(admitted[3]).toMatchObject({ status: 'queued', position: 1 });
  }, 60000);
});
