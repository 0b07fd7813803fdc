import {
  QueueJoinedMessage,
  QueueLeftMessage,
  QueueReadyMessage,
  Topics,
  validateMessage,
} from '@waitroom/contracts';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { OUTBOX_SWEEP_INTERVAL_MS } from '../apps/waitroom/src/events/outbox/outbox-relay.service';
import type { Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import { startApp, eventually, type RunningApp } from './support/app-harness';
import { kafkaBroker, sendCheckoutOutcome, sendRaw, testProducer, TopicCollector } from './support/kafka';
import { monitorRedis } from './support/redis-monitor';
import { TEST_REDIS_URL } from './support/test-env';

/** Issue 4: what Waitroom tells Kafka, and how it reacts to checkout, against the real broker. */
describe('event streaming', () => {
  let svc: RunningApp;
  let collector: TopicCollector;
  let producer: Producer;
  const newEvent = (config: Record<string, unknown>) => svc.http.createEvent('stream', config);

  beforeAll(async () => {
    svc = await startApp({ consumer: true });
    collector = await TopicCollector.start([
      Topics.QUEUE_JOINED,
      Topics.QUEUE_LEFT,
      Topics.QUEUE_READY,
      'CHECKOUT_COMPLETED.DLQ',
      'CHECKOUT_FAILED.DLQ',
      'CHECKOUT_EXPIRED.DLQ',
    ]);
    producer = await testProducer();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await collector?.stop();
    await svc?.close();
  });

  it('publishes QUEUE_JOINED and QUEUE_LEFT with every contract field, key = event_id, message_id header', async () => {
    const eventId = await newEvent({ capacity: 5, state: 'paused' });
    const joined = (await svc.http.join('stream-user', eventId)).body;
    await svc.http.leave(joined.session_id);

    const [joinedMessage] = await collector.waitForEvent(Topics.QUEUE_JOINED, eventId);
    expect(joinedMessage.key).toBe(eventId);
    expect(joinedMessage.headers.message_id).toBe(joinedMessage.body.message_id);
    expect(validateMessage(QueueJoinedMessage, joinedMessage.body)).toEqual({
      ok: true,
      value: expect.anything(),
    });
    expect(joinedMessage.body).toMatchObject({
      session_id: joined.session_id,
      user_id: 'stream-user',
      event_id: eventId,
      priority: 0,
      position: 1,
      joined_at: joined.joined_at,
    });
    expect(Object.keys(joinedMessage.body).sort()).toEqual(
      [
        'message_id',
        'session_id',
        'user_id',
        'event_id',
        'priority',
        'position',
        'joined_at',
        'timestamp',
      ].sort(),
    );

    const [leftMessage] = await collector.waitForEvent(Topics.QUEUE_LEFT, eventId);
    expect(leftMessage.key).toBe(eventId);
    expect(leftMessage.headers.message_id).toBe(leftMessage.body.message_id);
    expect(validateMessage(QueueLeftMessage, leftMessage.body).ok).toBe(true);
    expect(leftMessage.body).toMatchObject({
      session_id: joined.session_id,
      user_id: 'stream-user',
      event_id: eventId,
      reason: 'user',
    });
    expect(Object.keys(leftMessage.body).sort()).toEqual(
      ['message_id', 'session_id', 'user_id', 'event_id', 'reason', 'left_at', 'timestamp'].sort(),
    );
    // A repeated leave publishes nothing more.
    await svc.http.leave(joined.session_id);
    await new Promise((r) => setTimeout(r, 500));
    expect(collector.matching(Topics.QUEUE_LEFT, (m) => m.body?.event_id === eventId)).toHaveLength(1);
  });

  it('visits a queued but quiet event once per relay sweep with one call: no lease taken, nothing read, until entries wait', async () => {
    const eventId = await newEvent({ capacity: 5, state: 'paused' });
    for (const user of ['quiet-1', 'quiet-2']) expect((await svc.http.join(user, eventId)).status).toBe(201);
    await collector.waitForEvent(Topics.QUEUE_JOINED, eventId, 2);
    const outboxKey = `${svc.env.REDIS_KEY_PREFIX}{${eventId}}:outbox`;
    const leaseKey = `${outboxKey}:lease`;
    // The relay releases the lease once it has emptied the outbox; from then on nothing takes it.
    await eventually(
      () => (svc.redis.client as Redis).exists(leaseKey),
      (exists) => exists === 0,
      10000,
      100,
    );
    const windowMs = 2500;
    const monitor = await monitorRedis(TEST_REDIS_URL);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    await monitor.stop(svc.redis.client);
    const onKey = (key: string) => monitor.commands.filter((args) => args.slice(1).includes(key));
    const names = (commands: string[][]) => commands.map((args) => args[0].toLowerCase());
    // Nobody wrote to it: only the relay's sweep of every active event (OUTBOX_SWEEP_INTERVAL_MS)
    // looks, with an XLEN, not every OUTBOX_RELAY_INTERVAL_MS (20 ms here).
    const looks = names(onKey(outboxKey)).filter((name) => name === 'xlen').length;
    expect(looks).toBeGreaterThanOrEqual(Math.floor(windowMs / OUTBOX_SWEEP_INTERVAL_MS) - 1);
    expect(looks).toBeLessThanOrEqual(Math.ceil(windowMs / OUTBOX_SWEEP_INTERVAL_MS) + 1);
    expect(names(onKey(outboxKey)).filter((name) => name !== 'xlen' && name !== 'evalsha')).toEqual([]);
    expect(names(onKey(leaseKey)).filter((name) => name !== 'evalsha')).toEqual([]);
    // Something to publish again: the next visit takes the lease and publishes it.
    expect((await svc.http.join('quiet-3', eventId)).status).toBe(201);
    const [third] = await collector.waitFor(
      Topics.QUEUE_JOINED,
      (m) => m.body?.event_id === eventId && m.body?.user_id === 'quiet-3',
    );
    expect(third.body.position).toBe(3);
  });

  it('publishes QUEUE_READY with a token that verifies against the JWKS, equal to the session token', async () => {
    const eventId = await newEvent({ capacity: 1, checkout_timeout_seconds: 120 });
    const joined = (await svc.http.join('ready-user', eventId)).body;
    const [ready] = await collector.waitForEvent(Topics.QUEUE_READY, eventId);
    expect(ready.key).toBe(eventId);
    expect(ready.headers.message_id).toBe(ready.body.message_id);
    expect(validateMessage(QueueReadyMessage, ready.body).ok).toBe(true);
    expect(Object.keys(ready.body).sort()).toEqual(
      [
        'message_id',
        'session_id',
        'user_id',
        'event_id',
        'admitted_at',
        'expires_at',
        'admission_token',
        'timestamp',
      ].sort(),
    );
    const session = (await svc.http.session(joined.session_id)).body;
    expect(session).toMatchObject({
      status: 'ready',
      admitted_at: ready.body.admitted_at,
      expires_at: ready.body.expires_at,
    });
    expect(session.admission_token).toBe(ready.body.admission_token);

    const jwks = createLocalJWKSet((await svc.http.get('/.well-known/jwks.json')).body);
    const { payload } = await jwtVerify(ready.body.admission_token, jwks, { audience: eventId });
    expect(payload).toMatchObject({ sub: joined.session_id, aud: eventId, user_id: 'ready-user' });
    expect(payload.exp).toBe(Math.floor(Date.parse(ready.body.expires_at) / 1000));
  });

  it('frees the slot on CHECKOUT_COMPLETED, and a redelivery or a message for a non-ready session changes nothing', async () => {
    const eventId = await newEvent({ capacity: 1, checkout_timeout_seconds: 120 });
    const first = (await svc.http.join('buyer-1', eventId)).body;
    const second = (await svc.http.join('buyer-2', eventId)).body;
    await svc.http.waitForStatus(first.session_id, 'ready');

    // A completion for the still-queued second buyer must not touch it.
    await sendCheckoutOutcome(producer, Topics.CHECKOUT_COMPLETED, second.session_id, eventId);
    const completion = JSON.stringify({
      session_id: first.session_id,
      order_id: 'o-1',
      extra_field: 'ignored',
    });
    await sendRaw(producer, Topics.CHECKOUT_COMPLETED, completion, eventId);
    await sendRaw(producer, Topics.CHECKOUT_COMPLETED, completion, eventId);

    await svc.http.waitForStatus(first.session_id, 'completed');
    await svc.http.waitForStatus(second.session_id, 'ready');
    const stats = await eventually(
      () => svc.http.stats(eventId),
      (r) => r.body.completed_total >= 1,
    );
    expect(stats.body).toMatchObject({ completed_total: 1, admitted_total: 2, active_count: 1 });

    await sendCheckoutOutcome(producer, Topics.CHECKOUT_FAILED, second.session_id, eventId);
    await svc.http.waitForStatus(second.session_id, 'failed');
    await sendCheckoutOutcome(producer, Topics.CHECKOUT_EXPIRED, second.session_id, eventId);
    await new Promise((r) => setTimeout(r, 500));
    expect((await svc.http.session(second.session_id)).body.status).toBe('failed');
    expect((await svc.http.stats(eventId)).body).toMatchObject({
      completed_total: 1,
      failed_total: 1,
      expired_total: 0,
      active_count: 0,
    });
  });

  it('sends poison messages to <TOPIC>.DLQ with the original bytes and an error header, and keeps consuming', async () => {
    const eventId = await newEvent({ capacity: 1, checkout_timeout_seconds: 120 });
    const buyer = (await svc.http.join('dlq-buyer', eventId)).body;
    await svc.http.waitForStatus(buyer.session_id, 'ready');
    const marker = `poison-${eventId}`;
    const notJson = `{not json ${marker}`;
    const noSession = JSON.stringify({ order_id: marker });
    await sendRaw(producer, Topics.CHECKOUT_COMPLETED, notJson, eventId, { trace: marker });
    await sendRaw(producer, Topics.CHECKOUT_COMPLETED, noSession, eventId);
    await sendRaw(
      producer,
      Topics.CHECKOUT_EXPIRED,
      JSON.stringify({ session_id: 42, note: marker }),
      eventId,
    );
    await sendCheckoutOutcome(producer, Topics.CHECKOUT_COMPLETED, buyer.session_id, eventId);

    const dead = await collector.waitFor(
      'CHECKOUT_COMPLETED.DLQ',
      (m) => m.raw?.toString('utf8').includes(marker) ?? false,
      2,
    );
    const invalid = dead.find((m) => m.raw?.toString('utf8') === notJson)!;
    expect(invalid.key).toBe(eventId);
    expect(invalid.headers.trace).toBe(marker);
    expect(invalid.headers.error).toMatch(/invalid JSON/);
    expect(invalid.headers.original_topic).toBe('CHECKOUT_COMPLETED');
    const missing = dead.find((m) => m.raw?.toString('utf8') === noSession)!;
    expect(missing.headers.error).toMatch(/session_id/);
    const [wrongType] = await collector.waitFor(
      'CHECKOUT_EXPIRED.DLQ',
      (m) => m.raw?.toString('utf8').includes(marker) ?? false,
    );
    expect(wrongType.headers.error).toMatch(/session_id is required and must be a non-empty string/);
    // The valid message behind the poison ones was processed: the partition is not blocked.
    await svc.http.waitForStatus(buyer.session_id, 'completed');
  });

  it('loses no QUEUE_JOINED when the broker is down during 1,000 joins', async () => {
    const eventId = await newEvent({ capacity: 10, state: 'paused' });
    await kafkaBroker('stop-kafka');
    let sessions: string[] = [];
    try {
      const responses = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => svc.http.join(`outage-${i}`, eventId)),
      );
      expect(responses.every((r) => r.status === 201)).toBe(true);
      sessions = responses.map((r) => r.body.session_id as string);
      // Joins kept working; the events wait in the outbox, and readiness still says ready.
      const health = await svc.http.get('/health/ready');
      expect(health.status).toBe(200);
      expect(health.body.details.kafka.outbox_backlog).toBeGreaterThanOrEqual(1000);
    } finally {
      await kafkaBroker('start-kafka');
    }
    const received = await collector.waitForEvent(Topics.QUEUE_JOINED, eventId, 1000, 120000);
    const ids = new Set(received.map((m) => m.body.message_id));
    expect(ids.size).toBe(1000);
    expect(new Set(received.map((m) => m.body.session_id))).toEqual(new Set(sessions));
    // At-least-once: any duplicate carries a message_id already seen.
    expect(received.length).toBeGreaterThanOrEqual(1000);
    await eventually(
      () => svc.http.get('/health/ready'),
      (r) => r.body.details.kafka.outbox_backlog === 0,
      30000,
    );
  }, 240000);
});
