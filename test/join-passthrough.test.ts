import { Topics } from '@waitroom/contracts';
import { exportPKCS8, generateKeyPair } from 'jose';
import Redis from 'ioredis';
import { deleteKeys, eventually, startApp, type RunningApp } from './support/app-harness';
import { TopicCollector } from './support/kafka';
import { ServiceProcess } from './support/service-process';
import { ADMIN_KEY, TEST_REDIS_URL, uniquePrefix } from './support/test-env';

/**
 * Issue 24 item 5: passthrough_when_free. While nobody of the event is queued and capacity and
 * rate allow, a join is admitted at once (201 ready with its token), decided atomically in the
 * join script: two instances never admit past capacity.
 */
describe('passthrough_when_free', () => {
  let svc: RunningApp;
  let collector: TopicCollector;

  beforeAll(async () => {
    svc = await startApp();
    collector = await TopicCollector.start([Topics.QUEUE_JOINED, Topics.QUEUE_READY]);
  });
  afterAll(async () => {
    await collector?.stop();
    await svc?.close();
  });

  it('admits at once while there is room, queues once capacity is taken, publishes JOINED then READY', async () => {
    const eventId = await svc.http.createEvent('pass', {
      capacity: 2,
      checkout_timeout_seconds: 300,
      passthrough_when_free: true,
    });
    const first = await svc.http.join('p-1', eventId);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      status: 'ready',
      position: null,
      admission_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      expires_at: expect.any(String),
      admitted_at: expect.any(String),
    });
    const deadline =
      Date.parse(first.body.expires_at as string) - Date.parse(first.body.admitted_at as string);
    expect(deadline).toBe(300_000);
    // The same session as a poll shows it, token included.
    const polled = await svc.http.session(first.body.session_id as string);
    expect(polled.body).toMatchObject({ status: 'ready', admission_token: first.body.admission_token });
    // A re-join is the same live place (200), not a second admission.
    const again = await svc.http.join('p-1', eventId);
    expect(again.status).toBe(200);
    expect(again.body.session_id).toBe(first.body.session_id);

    expect((await svc.http.join('p-2', eventId)).body.status).toBe('ready');
    const third = await svc.http.join('p-3', eventId);
    expect(third.status).toBe(201);
    expect(third.body).toMatchObject({ status: 'queued', position: 1, admission_token: null });
    expect((await svc.http.stats(eventId)).body).toMatchObject({
      active_count: 2,
      admitted_total: 2,
      queue_length: 1,
    });

    const sessionId = first.body.session_id as string;
    const joined = await collector.waitForEvent(Topics.QUEUE_JOINED, eventId, 3);
    const ready = await collector.waitForEvent(Topics.QUEUE_READY, eventId, 2);
    expect(joined.find((m) => m.body?.session_id === sessionId)?.body).toMatchObject({
      user_id: 'p-1',
      position: 1,
    });
    expect(ready.find((m) => m.body?.session_id === sessionId)?.body).toMatchObject({
      user_id: 'p-1',
      admission_token: first.body.admission_token,
      expires_at: first.body.expires_at,
    });
  });

  it('queues while someone is queued even when a slot frees: the queue goes first', async () => {
    const eventId = await svc.http.createEvent('pass-order', {
      capacity: 1,
      checkout_timeout_seconds: 300,
      passthrough_when_free: true,
      state: 'paused',
    });
    // Paused: nobody is admitted, passthrough included.
    const waiting = await svc.http.join('w-1', eventId);
    expect(waiting.body.status).toBe('queued');
    await svc.http.upsertEvent(eventId, {
      capacity: 1,
      checkout_timeout_seconds: 300,
      passthrough_when_free: true,
    });
    await svc.http.waitForStatus(waiting.body.session_id as string, 'ready');
    expect((await svc.http.join('w-2', eventId)).body.status).toBe('queued');
    await svc.http.leave(waiting.body.session_id as string);
    // The slot freed goes to w-2 (queued), never to a newcomer.
    const newcomer = await svc.http.join('w-3', eventId);
    expect(newcomer.body.status).toBe('queued');
  });

  it('honours the admission rate: the bucket the admission step uses', async () => {
    const eventId = await svc.http.createEvent('pass-rate', {
      capacity: 100,
      admission_rate_per_minute: 60,
      passthrough_when_free: true,
    });
    expect((await svc.http.join('r-1', eventId)).body.status).toBe('ready');
    expect((await svc.http.join('r-2', eventId)).body.status).toBe('queued');
  });

  it('is off by default, and for an event that opens later', async () => {
    const off = await svc.http.createEvent('pass-off', { capacity: 5, state: 'paused' });
    await svc.http.upsertEvent(off, { capacity: 5 });
    expect((await svc.http.join('o-1', off)).body.status).toBe('queued');
    const later = await svc.http.createEvent('pass-later', {
      capacity: 5,
      passthrough_when_free: true,
      opens_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect((await svc.http.join('l-1', later)).body.status).toBe('queued');
    expect((await svc.http.upsertEvent(later, { capacity: 5, passthrough_when_free: 'yes' })).status).toBe(
      400,
    );
  });
});

describe('passthrough_when_free on two instances at the capacity edge', () => {
  const prefix = uniquePrefix('pass2');
  const redis = new Redis(TEST_REDIS_URL);
  let instances: ServiceProcess[] = [];

  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const signingKey = await exportPKCS8(privateKey);
    instances = [0, 1].map(() =>
      ServiceProcess.onStack(prefix, { ADMISSION_TOKEN_PRIVATE_KEY: signingKey, ADMISSION_TICK_MS: '50' }),
    );
    await Promise.all(instances.map((instance) => instance.start()));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it('never admits past capacity however the joins race', async () => {
    const [a, b] = instances;
    for (let round = 0; round < 3; round++) {
      const eventId = `pass2-${Date.now()}-${round}`;
      const capacity = 7 + round;
      const put = await a.http.put(
        `/api/v1/waitroom/admin/events/${eventId}`,
        { capacity, checkout_timeout_seconds: 300, passthrough_when_free: true },
        { 'x-api-key': ADMIN_KEY },
      );
      expect(put.status).toBe(201);
      // 60 concurrent joins, alternating between the instances.
      const replies = await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).http.join(`edge-${i}`, eventId)),
      );
      for (const reply of replies) expect(reply.status).toBe(201);
      const ready = replies.filter((reply) => reply.body.status === 'ready');
      const queued = replies.filter((reply) => reply.body.status === 'queued');
      expect(ready).toHaveLength(capacity);
      expect(queued).toHaveLength(60 - capacity);
      // Both instances admitted some (the race was real), and nobody beyond capacity since.
      const stats = await eventually(
        () => b.http.stats(eventId),
        (response) => response.status === 200,
      );
      expect(stats.body).toMatchObject({
        active_count: capacity,
        admitted_total: capacity,
        queue_length: 60 - capacity,
      });
      const positions = queued.map((reply) => reply.body.position as number).sort((x, y) => x - y);
      expect(new Set(positions).size).toBe(positions.length);
    }
  }, 60_000);
});
