import { Topics } from '@waitroom/contracts';
import type { Producer } from 'kafkajs';
import { RedisKeys, shardScopes } from '../apps/waitroom/src/redis/redis-keys';
import { startApp, type RunningApp } from './support/app-harness';
import { sendCheckoutOutcome, testProducer, TopicCollector } from './support/kafka';
import { RedisClusterProcesses } from './support/redis-processes';

/**
 * Issue 23 on a 3-master Redis Cluster this file starts on loopback (ports 7121-7123): a sharded
 * event with each shard on its own master admits in arrival order across the masters (the
 * arrival sequence in shard 0 orders them, not the masters' clocks), with exact places.
 */
const cluster = new RedisClusterProcesses(Number(process.env.TEST_SHARDED_CLUSTER_BASE_PORT ?? 7121));

describe('a sharded event on a 3-master Redis Cluster', () => {
  let svc: RunningApp;
  let producer: Producer;
  let collector: TopicCollector;

  beforeAll(async () => {
    await cluster.start();
    svc = await startApp({ consumer: true, env: { REDIS_CLUSTER_NODES: cluster.nodesSetting } });
    producer = await testProducer();
    collector = await TopicCollector.start([Topics.QUEUE_READY]);
  }, 120_000);
  afterAll(async () => {
    await collector?.stop();
    await producer?.disconnect();
    await svc?.close();
    cluster.cleanup();
  });

  /** An event id whose three shards live on three different masters. */
  async function eventOnEveryMaster(label: string): Promise<string> {
    const keys = new RedisKeys(svc.env.REDIS_KEY_PREFIX);
    for (let attempt = 0; ; attempt++) {
      const eventId = `${label}-${Date.now()}-${attempt}`;
      const masters = await Promise.all(
        shardScopes(eventId, 3).map((scope) => cluster.masterPortOf(keys.forEvent(scope).queue)),
      );
      if (new Set(masters).size === 3) return eventId;
    }
  }

  it('admits people joined one by one in their order, whichever master holds them', async () => {
    const eventId = await eventOnEveryMaster('fair');
    const config = { capacity: 3, state: 'paused', shards: 3, checkout_timeout_seconds: 300 };
    expect((await svc.http.upsertEvent(eventId, config)).status).toBe(201);
    const order: string[] = [];
    for (let i = 0; i < 45; i++) {
      const joined = await svc.http.join(`fair-${i}`, eventId);
      expect(joined.status).toBe(201);
      expect(joined.body.position).toBe(i + 1);
      order.push(joined.body.session_id as string);
    }
    // Every master holds some of them.
    const members = order.map((id) => id.split('~')[1]);
    expect(new Set(members.map((member) => member[0])).size).toBe(3);

    await svc.http.upsertEvent(eventId, { ...config, state: 'open' });
    let ready = await collector.waitFor(Topics.QUEUE_READY, (m) => m.body.event_id === eventId, 3);
    expect(new Set(ready.map((m) => m.body.session_id))).toEqual(new Set(order.slice(0, 3)));
    // One completion at a time: each frees one slot, and the next in arrival order takes it.
    for (let done = 0; done < 30; done++) {
      await sendCheckoutOutcome(producer, Topics.CHECKOUT_COMPLETED, order[done], eventId);
      ready = await collector.waitFor(Topics.QUEUE_READY, (m) => m.body.event_id === eventId, 4 + done);
      expect(ready.slice(3).map((m) => m.body.session_id)).toEqual(order.slice(3, 4 + done));
      expect((await svc.http.stats(eventId)).body.active_count).toBeLessThanOrEqual(3);
    }
    const waiting = await svc.http.session(order[40]);
    expect(waiting.body).toMatchObject({ status: 'queued', position: 8, queue_length: 12 });
  });
});
