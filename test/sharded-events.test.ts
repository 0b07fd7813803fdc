import { Topics } from '@waitroom/contracts';
import type { Producer } from 'kafkajs';
import { ADMIN_KEY } from './support/test-env';
import { eventually, startApp, type RunningApp } from './support/app-harness';
import { sendCheckoutOutcome, testProducer, TopicCollector } from './support/kafka';

/**
 * Issue 23: an event split over several hash slots keeps every promise of one (CONTRACT.md,
 * `shards`). On the stack's one Redis every shard is its own slot there; the cluster tests
 * (sharded-cluster.test.ts) put them on different masters.
 */
describe('sharded events', () => {
  let svc: RunningApp;
  let producer: Producer;
  let collector: TopicCollector;
  const admin = { 'x-api-key': ADMIN_KEY };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Joins one by one (each answered before the next), so the join order is the arrival order. */
  const joinInOrder = async (eventId: string, count: number, label: string) => {
    const sessions: { session_id: string; user_id: string; position: number }[] = [];
    for (let i = 0; i < count; i++) {
      const response = await svc.http.join(`${label}-${i}`, eventId);
      expect(response.status).toBe(201);
      sessions.push(response.body);
    }
    return sessions;
  };
  const shardOf = (sessionId: string) => sessionId.split('~')[1].length === 23 && sessionId.split('~')[1][0];

  beforeAll(async () => {
    svc = await startApp({ consumer: true });
    producer = await testProducer();
    collector = await TopicCollector.start([Topics.QUEUE_JOINED, Topics.QUEUE_READY, Topics.QUEUE_LEFT]);
  });
  afterAll(async () => {
    await collector?.stop();
    await producer?.disconnect();
    await svc?.close();
  });

  it('takes shards 1..64, shows it, and fixes it once anybody joined (409 SHARDS_FIXED)', async () => {
    const eventId = await svc.http.createEvent('shards', { capacity: 1, state: 'paused', shards: 3 });
    const stored = await svc.http.get(`/api/v1/waitroom/admin/events/${eventId}`, admin);
    expect(stored.body).toMatchObject({ shards: 3 });
    for (const shards of [0, 65, 2.5, '3'])
      expect((await svc.http.upsertEvent(eventId, { capacity: 1, shards })).status).toBe(400);
    // Before anybody joined it can still change.
    expect((await svc.http.upsertEvent(eventId, { capacity: 1, state: 'paused', shards: 4 })).status).toBe(
      200,
    );
    expect((await svc.http.join('first', eventId)).status).toBe(201);
    const refused = await svc.http.upsertEvent(eventId, { capacity: 1, state: 'paused', shards: 2 });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('SHARDS_FIXED');
    // Other changes still go through, and a PUT leaving shards out is a change to 1: refused too.
    expect((await svc.http.upsertEvent(eventId, { capacity: 2, state: 'paused', shards: 4 })).status).toBe(
      200,
    );
    expect((await svc.http.upsertEvent(eventId, { capacity: 2, state: 'paused' })).status).toBe(409);
  });

  it('spreads people over the shards, gives exact places in arrival order, one live place per user', async () => {
    const eventId = await svc.http.createEvent('places', { capacity: 1, state: 'paused', shards: 3 });
    const sessions = await joinInOrder(eventId, 30, 'p');
    expect(new Set(sessions.map((s) => shardOf(s.session_id))).size).toBe(3);
    expect(sessions.map((s) => s.position)).toEqual(sessions.map((_, index) => index + 1));
    // Every poll, on whatever shard, has the place in the event and the event's queue length.
    for (const [index, session] of sessions.entries()) {
      const polled = await svc.http.session(session.session_id);
      expect(polled.body).toMatchObject({ status: 'queued', position: index + 1, queue_length: 30 });
    }
    const again = await svc.http.join('p-7', eventId);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ session_id: sessions[7].session_id, position: 8 });
    expect((await svc.http.stats(eventId)).body).toMatchObject({ queue_length: 30, active_count: 0 });
    const joined = await collector.waitFor(Topics.QUEUE_JOINED, (m) => m.body.event_id === eventId, 30);
    expect(joined.every((m) => m.key === eventId)).toBe(true);
    expect(joined.map((m) => m.body.position).sort((a, b) => a - b)).toEqual(sessions.map((_, i) => i + 1));
  });

  it('admits in arrival order across shards, within capacity for the whole event', async () => {
    const eventId = await svc.http.createEvent('fair', {
      capacity: 4,
      state: 'paused',
      shards: 3,
      checkout_timeout_seconds: 300,
    });
    const sessions = await joinInOrder(eventId, 24, 'f');
    expect(
      (await svc.http.upsertEvent(eventId, { capacity: 4, shards: 3, checkout_timeout_seconds: 300 })).status,
    ).toBe(200);
    let ready = await collector.waitFor(Topics.QUEUE_READY, (m) => m.body.event_id === eventId, 4);
    await sleep(500);
    expect((await svc.http.stats(eventId)).body).toMatchObject({
      active_count: 4,
      queue_length: 20,
      admitted_total: 4,
    });
    const order = sessions.map((s) => s.session_id);
    expect(new Set(ready.map((m) => m.body.session_id))).toEqual(new Set(order.slice(0, 4)));
    // Each completion frees one slot, wherever its shard: the next in arrival order goes.
    for (let done = 0; done < 12; done++) {
      await sendCheckoutOutcome(producer, Topics.CHECKOUT_COMPLETED, order[done], eventId);
      ready = await collector.waitFor(Topics.QUEUE_READY, (m) => m.body.event_id === eventId, 5 + done);
      expect(ready.map((m) => m.body.session_id).slice(4)).toEqual(order.slice(4, 5 + done));
      const { body } = await svc.http.stats(eventId);
      expect(body.active_count).toBeLessThanOrEqual(4);
    }
    const left = await svc.http.session(order[20]);
    expect(left.body).toMatchObject({ status: 'queued', position: 5, queue_length: 8 });
  });

  it("serves a priority join before every shard's lower lane", async () => {
    const eventId = await svc.http.createEvent('lanes', { capacity: 1, state: 'paused', shards: 3 });
    await joinInOrder(eventId, 9, 'l');
    const vip = await svc.http.join('vip', eventId, 5, admin);
    expect(vip.status).toBe(201);
    expect(vip.body.position).toBe(1);
    expect((await svc.http.session(vip.body.session_id)).body.position).toBe(1);
    await svc.http.upsertEvent(eventId, { capacity: 1, shards: 3 });
    await svc.http.waitForStatus(vip.body.session_id, 'ready');
  });

  it('honours the rate for the whole event', async () => {
    const eventId = await svc.http.createEvent('rate', {
      capacity: 100,
      admission_rate_per_minute: 120,
      state: 'paused',
      shards: 3,
    });
    await svc.http.joinMany(eventId, 30, 'r');
    await svc.http.upsertEvent(eventId, { capacity: 100, admission_rate_per_minute: 120, shards: 3 });
    const started = Date.now();
    await eventually(
      () => svc.http.stats(eventId),
      (r) => r.body.admitted_total >= 7,
      15_000,
    );
    // Two a second, the first at once: seven take about three seconds, never much less.
    expect(Date.now() - started).toBeGreaterThan(2500);
    expect((await svc.http.stats(eventId)).body.admitted_total).toBeLessThanOrEqual(9);
  });

  it('frees the slot of a ready session that leaves, in whichever shard it is', async () => {
    const eventId = await svc.http.createEvent('leave', { capacity: 1, state: 'paused', shards: 2 });
    const [first, second] = await joinInOrder(eventId, 2, 'lv');
    await svc.http.upsertEvent(eventId, { capacity: 1, shards: 2 });
    await svc.http.waitForStatus(first.session_id, 'ready');
    expect((await svc.http.leave(first.session_id)).body.status).toBe('left');
    await svc.http.waitForStatus(second.session_id, 'ready');
    const left = await collector.waitFor(Topics.QUEUE_LEFT, (m) => m.body.session_id === first.session_id);
    expect(left[0].key).toBe(eventId);
  });
});
