import { Topics } from '@waitroom/contracts';
import Redis from 'ioredis';
import { exportPKCS8, generateKeyPair } from 'jose';
import type { Producer } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { RedisKeys } from '../apps/waitroom/src/redis/redis-keys';
import { deleteKeys, eventually } from './support/app-harness';
import { sendCheckoutOutcome, testProducer, TopicCollector } from './support/kafka';
import { ServiceProcess } from './support/service-process';
import { ADMIN_KEY, TEST_REDIS_URL, uniquePrefix } from './support/test-env';

/**
 * Issue 5: three service processes share one Redis (and the consumer group) through minutes of
 * churn — joins on every instance, completions and failures from checkout over Kafka, windows
 * left to expire — and capacity is never exceeded, nobody is admitted twice, nothing is lost.
 */
const CHURN_SECONDS = Number(process.env.WAITROOM_CHURN_SECONDS ?? 120);
const CAPACITY = 5;
const OUTCOME_TOPICS = { completed: Topics.CHECKOUT_COMPLETED, failed: Topics.CHECKOUT_FAILED } as const;

describe('three instances under churn', () => {
  const prefix = uniquePrefix('multi');
  const keys = new RedisKeys(prefix);
  const eventId = `multi-${Date.now()}`;
  const redis = new Redis(TEST_REDIS_URL);
  let instances: ServiceProcess[] = [];
  let producer: Producer;
  let collector: TopicCollector;

  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const signingKey = await exportPKCS8(privateKey);
    const altchaKey = randomBytes(32).toString('hex');
    instances = [0, 1, 2].map(() =>
      ServiceProcess.onStack(prefix, {
        ADMISSION_TOKEN_PRIVATE_KEY: signingKey,
        // Instances share their keys, as in a deployment: a challenge issued by one verifies on all.
        ALTCHA_HMAC_KEY: altchaKey,
        ADMISSION_TICK_MS: '50',
      }),
    );
    await Promise.all(instances.map((instance) => instance.start()));
    collector = await TopicCollector.start([Topics.QUEUE_JOINED, Topics.QUEUE_READY, Topics.QUEUE_LEFT]);
    producer = await testProducer();
  }, 120000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await producer?.disconnect();
    await collector?.stop();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it(
    `never exceeds capacity, admits nobody twice and loses nothing over ${CHURN_SECONDS} s`,
    async () => {
      const configured = await instances[0].http.put(
        `/api/v1/waitroom/admin/events/${eventId}`,
        { capacity: CAPACITY, checkout_timeout_seconds: 10 },
        { 'x-api-key': ADMIN_KEY },
      );
      expect(configured.status).toBe(201);

      let maxActive = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          maxActive = Math.max(maxActive, await redis.zcard(keys.forEvent(eventId).active));
          await new Promise((r) => setTimeout(r, 20));
        }
      })();

      const joined: string[] = [];
      const answered = new Set<string>();
      const expectedOutcome = new Map<string, 'completed' | 'failed' | 'expired'>();
      const endAt = Date.now() + CHURN_SECONDS * 1000;
      let userNumber = 0;
      while (Date.now() < endAt) {
        // ~60 joins a second, spread over the three instances.
        await Promise.all(
          Array.from({ length: 6 }, async () => {
            const instance = instances[userNumber % 3];
            const response = await instance.http.join(`churn-${userNumber++}`, eventId);
            expect(response.status).toBe(201);
            joined.push(response.body.session_id);
          }),
        );
        // Checkout answers for whoever was admitted: 70% complete, 10% fail, 20% let the window expire.
        for (const ready of collector.matching(Topics.QUEUE_READY, (m) => m.body?.event_id === eventId)) {
          const sessionId: string = ready.body.session_id;
          if (answered.has(sessionId)) continue;
          answered.add(sessionId);
          const draw = answered.size % 10;
          const outcome = draw < 7 ? 'completed' : draw < 8 ? 'failed' : 'expired';
          expectedOutcome.set(sessionId, outcome);
          if (outcome !== 'expired') {
            await sendCheckoutOutcome(producer, OUTCOME_TOPICS[outcome], sessionId, eventId);
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      sampling = false;
      await sampler;
      // Freeze admissions so the books can be checked (expiries still run while paused).
      await instances[0].http.put(
        `/api/v1/waitroom/admin/events/${eventId}`,
        { capacity: CAPACITY, checkout_timeout_seconds: 10, state: 'paused' },
        { 'x-api-key': ADMIN_KEY },
      );
      await new Promise((r) => setTimeout(r, 300));

      // Capacity held at every sample, and it was actually used.
      expect(maxActive).toBeLessThanOrEqual(CAPACITY);
      expect(maxActive).toBe(CAPACITY);

      // Nothing lost: every join has its QUEUE_JOINED, counted by message_id.
      const joinedMessages = await collector.waitForEvent(Topics.QUEUE_JOINED, eventId, joined.length, 60000);
      expect(new Set(joinedMessages.map((m) => m.body.session_id))).toEqual(new Set(joined));
      expect(new Set(joinedMessages.map((m) => m.body.message_id)).size).toBe(joined.length);

      // Nobody admitted twice: one distinct QUEUE_READY message per admitted session.
      await eventually(
        () => instances[1].http.stats(eventId),
        (r) =>
          collector.matching(Topics.QUEUE_READY, (m) => m.body?.event_id === eventId).length >=
          r.body.admitted_total,
        30000,
      );
      const readyMessages = collector.matching(Topics.QUEUE_READY, (m) => m.body?.event_id === eventId);
      const readyIdsBySession = new Map<string, Set<string>>();
      for (const m of readyMessages)
        readyIdsBySession.set(
          m.body.session_id,
          (readyIdsBySession.get(m.body.session_id) ?? new Set()).add(m.body.message_id),
        );
      expect([...readyIdsBySession.values()].every((ids) => ids.size === 1)).toBe(true);

      // Every admitted session whose outcome was sent reached it (expiries take up to 10 s more).
      await eventually(
        async () => {
          const statuses = await Promise.all(
            [...expectedOutcome].map(async ([id]) => (await instances[2].http.session(id)).body.status),
          );
          // e.g. ["completed->expired"]: what was sent, and what the session became instead.
          return [...expectedOutcome.values()].flatMap((outcome, i) =>
            statuses[i] === outcome ? [] : [`${outcome}->${statuses[i]}`],
          );
        },
        (mismatches) => mismatches.length === 0,
        30000,
        1000,
      );

      // The books balance: every join is in exactly one state, and Redis agrees with what we sent.
      const stats = (await instances[0].http.stats(eventId)).body;
      expect(stats.joined_total).toBe(joined.length);
      expect(stats.admitted_total).toBe(readyIdsBySession.size);
      expect(stats.queue_length + stats.admitted_total).toBe(joined.length);
      expect(stats.active_count + stats.completed_total + stats.failed_total + stats.expired_total).toBe(
        stats.admitted_total,
      );
      expect(stats.completed_total).toBeGreaterThan(0);
      expect(stats.failed_total).toBeGreaterThan(0);
      expect(stats.expired_total).toBeGreaterThan(0);
    },
    (CHURN_SECONDS + 180) * 1000,
  );
});
