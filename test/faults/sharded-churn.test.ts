import { Topics } from '@waitroom/contracts';
import type { Producer } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportPKCS8, generateKeyPair } from 'jose';
import { RedisKeys, shardScopes } from '../../apps/waitroom/src/redis/redis-keys';
import { eventually } from '../support/app-harness';
import { sendCheckoutOutcome, testProducer, TopicCollector, type CollectedMessage } from '../support/kafka';
import { RedisClusterProcesses } from '../support/redis-processes';
import { ServiceProcess } from '../support/service-process';
import { uniquePrefix } from '../support/test-env';

/**
 * Issue 23, proof: a sharded event under churn on a 3-master Redis Cluster (ports 7131-7133, each
 * shard on its own master), served by three instances of the built service: joins, leaves and
 * checkout outcomes through Kafka all the time, and one shard's master paused (SIGSTOP) for 5 s
 * in the middle. Capacity is never exceeded for the event as a whole, nobody is admitted twice,
 * the other shards keep working while one is away, and afterwards everybody is admitted.
 *
 * Capacity is checked on the whole history, rebuilt from Kafka: every admission (QUEUE_READY,
 * admitted_at) and every end of a ready session (QUEUE_LEFT, left_at: a leave, or a checkout
 * reported expired) is stamped by Redis inside the script that made it, so the number admitted
 * and not yet ended after every instant is a state the event was in. (Completions publish no
 * message, so ready sessions end here by leaving or by CHECKOUT_EXPIRED only.)
 */
const CAPACITY = 6;
const JOINS = 150;
const INSTANCES = 3;
const PAUSE_MS = 5000;

const ms = (iso: string) => Date.parse(iso);

describe('a sharded event under churn on a Redis Cluster with a master paused', () => {
  // Without full coverage, the masters that are up go on serving their slots while one is away.
  const cluster = new RedisClusterProcesses(7131, 0, ['--cluster-require-full-coverage', 'no']);
  const prefix = uniquePrefix('shchurn');
  let eventId = '';
  let instances: ServiceProcess[] = [];
  let collector: TopicCollector;
  let producer: Producer;

  beforeAll(async () => {
    await cluster.start();
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const signingKey = await exportPKCS8(privateKey);
    instances = Array.from({ length: INSTANCES }, () =>
      ServiceProcess.onStack(prefix, {
        REDIS_CLUSTER_NODES: cluster.nodesSetting,
        ADMISSION_TOKEN_PRIVATE_KEY: signingKey,
        ADMISSION_TICK_MS: '50',
        REDIS_COMMAND_TIMEOUT_MS: '500',
      }),
    );
    await Promise.all(instances.map((instance) => instance.start()));
    collector = await TopicCollector.start([Topics.QUEUE_READY, Topics.QUEUE_LEFT]);
    producer = await testProducer();
    // An event whose three shards live on three different masters.
    const keys = new RedisKeys(prefix);
    for (let attempt = 0; !eventId; attempt++) {
      const candidate = `shchurn-${Date.now()}-${attempt}`;
      const masters = await Promise.all(
        shardScopes(candidate, 3).map((scope) => cluster.masterPortOf(keys.forEvent(scope).queue)),
      );
      if (new Set(masters).size === 3) eventId = candidate;
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await collector?.stop();
    await producer?.disconnect();
    cluster.cleanup();
  });

  const isOurs = (m: CollectedMessage) => m.body?.event_id === eventId;

  it('never exceeds capacity, admits nobody twice, and admits everybody once the master is back', async () => {
    const config = {
      capacity: CAPACITY,
      shards: 3,
      checkout_timeout_seconds: 120,
      admission_rate_per_minute: 1200,
    };
    expect((await instances[0].http.upsertEvent(eventId, config)).status).toBe(201);
    const pausedMaster = await cluster.masterOf(new RedisKeys(prefix).forShard(eventId, 2).queue);

    // Joins through every instance, a few at a time; a join whose shard is away is tried again.
    const joined = new Map<string, string>();
    const unavailable: number[] = [];
    const join = async (user: number) => {
      for (;;) {
        const response = await instances[user % INSTANCES].http.join(`churn-${user}`, eventId);
        if (response.status === 201 || response.status === 200) {
          joined.set(`churn-${user}`, response.body.session_id as string);
          return;
        }
        expect(response.status).toBe(503);
        unavailable.push(user);
        await sleep(200);
      }
    };
    // Admitted people end their checkout: most leave, some are reported expired by checkout.
    const ended = new Set<string>();
    let ending = true;
    const endReadySessions = (async () => {
      let turn = 0;
      while (ending) {
        const ready = collector
          .matching(Topics.QUEUE_READY, isOurs)
          .map((m) => m.body.session_id as string)
          .filter((id) => !ended.has(id));
        for (const sessionId of ready) {
          ended.add(sessionId);
          if (turn++ % 3 === 0)
            await sendCheckoutOutcome(producer, Topics.CHECKOUT_EXPIRED, sessionId, eventId);
          else {
            // A leave whose shard is away (503) is tried again later.
            const left = await instances[turn % INSTANCES].http.leave(sessionId).catch(() => undefined);
            if (left?.status !== 200) ended.delete(sessionId);
          }
        }
        await sleep(50);
      }
    })();

    let next = 0;
    const joiners = Array.from({ length: 4 }, async () => {
      while (next < JOINS) {
        const user = next++;
        await join(user);
        // Some leave while queued.
        if (user % 10 === 9) await instances[user % INSTANCES].http.leave(joined.get(`churn-${user}`)!);
        await sleep(20);
      }
    });
    // One shard's master away for 5 s, in the middle of it.
    const pause = (async () => {
      await sleep(1500);
      const before = collector.matching(Topics.QUEUE_READY, isOurs).length;
      pausedMaster.pause(true);
      await sleep(PAUSE_MS);
      const during = collector.matching(Topics.QUEUE_READY, isOurs).length - before;
      pausedMaster.pause(false);
      return during;
    })();
    await Promise.all(joiners);
    const admittedWhilePaused = await pause;

    // Everybody who did not leave while queued is admitted in the end.
    const stayed = [...joined.entries()].filter(([user]) => Number(user.split('-')[1]) % 10 !== 9);
    await eventually(
      async () => new Set(collector.matching(Topics.QUEUE_READY, isOurs).map((m) => m.body.session_id)),
      (ids) => stayed.every(([, sessionId]) => ids.has(sessionId)),
      90_000,
      250,
    );
    ending = false;
    await endReadySessions;

    // The other shards kept admitting while one master was away.
    expect(admittedWhilePaused).toBeGreaterThan(0);
    expect(unavailable.length).toBeGreaterThan(0);

    // Nobody admitted twice: one QUEUE_READY message id per session (a resend repeats the id).
    const readyIds = new Map<string, Set<string>>();
    for (const m of collector.matching(Topics.QUEUE_READY, isOurs)) {
      const ids = readyIds.get(m.body.session_id) ?? new Set<string>();
      ids.add(m.body.message_id);
      readyIds.set(m.body.session_id, ids);
    }
    expect([...readyIds.values()].filter((ids) => ids.size > 1)).toEqual([]);

    // Capacity over the whole history: +1 at each admission, -1 at each end of a ready session.
    await sleep(1000);
    const changes: [number, number][] = [];
    const admittedAt = new Map<string, number>();
    for (const m of collector.matching(Topics.QUEUE_READY, isOurs)) {
      if (admittedAt.has(m.body.session_id)) continue;
      admittedAt.set(m.body.session_id, ms(m.body.admitted_at));
      changes.push([ms(m.body.admitted_at), +1]);
    }
    const leftSeen = new Set<string>();
    for (const m of collector.matching(Topics.QUEUE_LEFT, isOurs)) {
      const sessionId = m.body.session_id as string;
      if (!admittedAt.has(sessionId) || leftSeen.has(sessionId)) continue;
      leftSeen.add(sessionId);
      changes.push([ms(m.body.left_at), -1]);
    }
    // Ends before admissions of the same instant: the slot was free when it was taken.
    changes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let active = 0;
    let most = 0;
    for (const [, change] of changes) {
      active += change;
      most = Math.max(most, active);
    }
    expect(most).toBeLessThanOrEqual(CAPACITY);
    expect(most).toBe(CAPACITY);
  }, 240_000);
});
