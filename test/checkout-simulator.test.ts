import { QueueReadyMessage, Topics } from '@waitroom/contracts';
import { decodeJwt, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import type { Producer } from 'kafkajs';
import { randomBytes, randomUUID } from 'node:crypto';
import { eventually, startApp, type RunningApp } from './support/app-harness';
import { sendRaw, testKafka, testProducer, TopicCollector, type CollectedMessage } from './support/kafka';
import { startSimulator, type RunningSimulator } from './support/simulator-harness';

const M = 'checkout_simulator_';
const OUTCOME_TOPICS: string[] = [Topics.CHECKOUT_COMPLETED, Topics.CHECKOUT_FAILED];

/**
 * Issue 11, apps/checkout-simulator: the waitroom (with its checkout consumer) and the simulator
 * in this process, on the real broker and Redis. The simulator acts on two events of this test
 * (`eventId`, and a paused one for the forged admissions) and must leave a third one alone.
 */
describe('checkout simulator', () => {
  const suffix = `${Date.now()}-${randomBytes(3).toString('hex')}`;
  const eventId = `sim-${suffix}`;
  const pausedEventId = `sim-paused-${suffix}`;
  const ignoredEventId = `sim-ignored-${suffix}`;
  let waitroom: RunningApp;
  let sim: RunningSimulator;
  let collector: TopicCollector;
  let producer: Producer;

  const outcomesOf = (sessionId: string): CollectedMessage[] =>
    collector.messages.filter((m) => OUTCOME_TOPICS.includes(m.topic) && m.body?.session_id === sessionId);

  beforeAll(async () => {
    waitroom = await startApp({ consumer: true });
    collector = await TopicCollector.start([Topics.QUEUE_READY, ...OUTCOME_TOPICS]);
    sim = await startSimulator({
      env: {
        SIMULATED_EVENTS: `${eventId},${pausedEventId}`,
        CHECKOUT_DELAY_MS: '100-300',
        CHECKOUT_FAILURE_RATE: '0.3',
        WAITROOM_URL: waitroom.baseUrl,
      },
    });
    producer = await testProducer();
  }, 90_000);

  afterAll(async () => {
    await producer?.disconnect();
    await sim?.close();
    await collector?.stop();
    await waitroom?.close();
  });

  it('consumes as group checkout-simulator (no postfix) and is ready once joined with the JWKS reachable', async () => {
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups(['checkout-simulator']);
      expect(groups[0]).toMatchObject({ groupId: 'checkout-simulator', state: 'Stable' });
      expect(groups[0].members.some((m) => m.clientId.startsWith('checkout-simulator-consumer'))).toBe(true);
    } finally {
      await admin.disconnect();
    }
    expect((await sim.http.get('/health/live')).status).toBe(200);
    const ready = await sim.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details).toMatchObject({
      queue_ready_consumer: { status: 'up', consumer_status: 'running' },
      waitroom_jwks: { status: 'up', url: `${waitroom.baseUrl}/.well-known/jwks.json` },
    });
  });

  it('counts and skips malformed records, whatever their key and headers, and keeps consuming', async () => {
    const before = await sim.metric(`${M}records_skipped_total`, { reason: 'malformed' });
    // Keys and headers that Nest's KafkaParser would JSON-decode (and choke on): never looked at.
    await sendRaw(producer, Topics.QUEUE_READY, 'not json', '{"k":1}', { trace: '[1,2' });
    await sendRaw(producer, Topics.QUEUE_READY, JSON.stringify({ event_id: eventId }), eventId);
    await sendRaw(producer, Topics.QUEUE_READY, Buffer.from([0xff, 0xfe, 0x00]), eventId, { x: '{' });
    await eventually(
      () => sim.metric(`${M}records_skipped_total`, { reason: 'malformed' }),
      (n) => n >= before + 3,
    );
    expect((await sim.http.get('/health/ready')).status).toBe(200);
  });

  it('ends every admitted session completed or failed, one outcome each, freeing the slots', async () => {
    const upsert = await waitroom.http.upsertEvent(eventId, {
      capacity: 3,
      admission_rate_per_minute: null,
      checkout_url: `${sim.baseUrl}/checkout`,
    });
    expect(upsert.status).toBe(201);
    const sessions: string[] = [];
    for (let i = 0; i < 10; i++) {
      const joined = await waitroom.http.join(`sim-user-${i}`, eventId);
      expect(joined.status).toBe(201);
      sessions.push(joined.body.session_id);
    }
    // Capacity 3, ten people, 100-300 ms per checkout: all through in a few seconds, far from
    // the 600 s checkout window (no session may be left `ready` until it expires).
    const finals = await eventually(
      () => Promise.all(sessions.map(async (id) => (await waitroom.http.session(id)).body.status as string)),
      (statuses) => statuses.every((s) => s === 'completed' || s === 'failed'),
      45_000,
      200,
    );
    const completed = finals.filter((s) => s === 'completed').length;
    const stats = (await waitroom.http.stats(eventId)).body;
    expect(stats).toMatchObject({
      admitted_total: 10,
      completed_total: completed,
      failed_total: 10 - completed,
      expired_total: 0,
      active_count: 0,
    });

    for (const [i, id] of sessions.entries()) {
      const outcomes = await eventually(
        async () => outcomesOf(id),
        (found) => found.length >= 1,
      );
      expect(outcomes).toHaveLength(1);
      const [outcome] = outcomes;
      expect(outcome.topic).toBe(finals[i] === 'completed' ? 'CHECKOUT_COMPLETED' : 'CHECKOUT_FAILED');
      expect(outcome.key).toBe(eventId);
      expect(outcome.body).toMatchObject({
        session_id: id,
        event_id: eventId,
        user_id: `sim-user-${i}`,
        order_id: expect.stringMatching(/^ord_/),
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      });
      if (outcome.topic === 'CHECKOUT_FAILED') expect(outcome.body.reason).toEqual(expect.any(String));
    }
    expect(await sim.metric(`${M}checkouts_completed_total`, { event_id: eventId })).toBe(completed);
    expect(await sim.metric(`${M}checkouts_failed_total`, { event_id: eventId })).toBe(10 - completed);
    expect(await sim.metric(`${M}pending_checkouts`)).toBe(0);
  }, 90_000);

  it('drops a QUEUE_READY whose token another key signed: counted as rejected, nothing completed', async () => {
    expect((await waitroom.http.upsertEvent(pausedEventId, { capacity: 5, state: 'paused' })).status).toBe(
      201,
    );
    const victim = (await waitroom.http.join('victim', pausedEventId)).body.session_id as string;
    const jwks = (await waitroom.http.get('/.well-known/jwks.json')).body;
    const forger = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const badSignatureBefore = await sim.metric(`${M}tokens_rejected_total`, { reason: 'bad_signature' });
    const unknownKeyBefore = await sim.metric(`${M}tokens_rejected_total`, { reason: 'unknown_key' });

    // Under the waitroom's own key id (so the signature itself is what fails), and under its own.
    for (const kid of [jwks.keys[0].kid as string, 'forger-key']) {
      await sendRaw(
        producer,
        Topics.QUEUE_READY,
        JSON.stringify(await forgedQueueReady(forger.privateKey, kid, victim, pausedEventId)),
        pausedEventId,
        { message_id: randomUUID() },
      );
    }
    await eventually(
      () => sim.metric(`${M}tokens_rejected_total`, { reason: 'bad_signature' }),
      (n) => n >= badSignatureBefore + 1,
    );
    await eventually(
      () => sim.metric(`${M}tokens_rejected_total`, { reason: 'unknown_key' }),
      (n) => n >= unknownKeyBefore + 1,
    );
    // Well past the longest simulated checkout (300 ms): no outcome was ever scheduled.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(outcomesOf(victim)).toEqual([]);
    expect((await waitroom.http.session(victim)).body.status).toBe('queued');
    expect(await sim.metric(`${M}pending_checkouts`)).toBe(0);
  });

  it('shows the verified claims of a real token on the checkout page, and 4xx for a forged or missing one', async () => {
    // The waitroom's own QUEUE_READY (the malformed test sent one for this event without a token).
    const [ready] = collector.matching(
      Topics.QUEUE_READY,
      (m) => m.body?.event_id === eventId && typeof m.body.admission_token === 'string',
    );
    const message = ready.body as QueueReadyMessage;
    const page = await fetch(
      `${sim.baseUrl}/checkout?waitroom_token=${encodeURIComponent(message.admission_token)}`,
    );
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(html).toContain('<html lang="en">');
    expect(html).toMatch(/<title>[^<]+<\/title>/);
    expect(html).toContain('<h1>Checkout</h1>');
    const exp = decodeJwt(message.admission_token).exp!;
    for (const [term, value] of [
      ['Session', message.session_id],
      ['Event', eventId],
      ['User', message.user_id],
      ['Checkout window ends', new Date(exp * 1000).toISOString()],
    ])
      expect(html).toContain(`<dt>${term}</dt><dd>${value}</dd>`);
    expect(html).toMatch(/<dt>Checkout<\/dt><dd>(completed|failed) \(CHECKOUT_/);
    expect(html).not.toMatch(/(src|href)="https?:/);

    const forger = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await forgedQueueReady(forger.privateKey, 'forger-key', message.session_id, eventId);
    const refused = await fetch(`${sim.baseUrl}/checkout?waitroom_token=${forged.admission_token}`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('<h1>Invalid token</h1>');
    expect((await fetch(`${sim.baseUrl}/checkout`)).status).toBe(400);
    expect((await fetch(`${sim.baseUrl}/checkout?waitroom_token=garbage`)).status).toBe(403);
  });

  it('leaves an event that is not in SIMULATED_EVENTS alone', async () => {
    expect((await waitroom.http.upsertEvent(ignoredEventId, { capacity: 2 })).status).toBe(201);
    const sessions = [
      (await waitroom.http.join('ignored-0', ignoredEventId)).body.session_id as string,
      (await waitroom.http.join('ignored-1', ignoredEventId)).body.session_id as string,
    ];
    const readies = await collector.waitFor(
      Topics.QUEUE_READY,
      (m) => m.body?.event_id === ignoredEventId,
      2,
    );
    // The simulator reads the same partition as the collector did; give it well over the longest delay.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const id of sessions) {
      expect((await waitroom.http.session(id)).body.status).toBe('ready');
      expect(outcomesOf(id)).toEqual([]);
    }
    expect(await sim.metric(`${M}records_skipped_total`, { reason: 'not_simulated' })).toBeGreaterThanOrEqual(
      2,
    );
    // Its page does not serve that event either: the token is genuine, the audience is not ours.
    const token = (readies[0].body as QueueReadyMessage).admission_token;
    const page = await fetch(`${sim.baseUrl}/checkout?waitroom_token=${encodeURIComponent(token)}`);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('not for an event this checkout serves');
  });

  it('exposes its metrics in Prometheus text', async () => {
    const metrics = await sim.http.get<string>('/metrics');
    expect(metrics.status).toBe(200);
    for (const name of [
      'checkouts_completed_total',
      'checkouts_failed_total',
      'tokens_rejected_total',
      'records_skipped_total',
      'pending_checkouts',
    ])
      expect(metrics.body).toContain(`# TYPE ${M}${name} `);
  });
});

/** A QUEUE_READY as the waitroom would send it, but with a token of another key. */
async function forgedQueueReady(key: KeyLike, kid: string, sessionId: string, eventId: string) {
  const now = Math.floor(Date.now() / 1000);
  const admission_token = await new SignJWT({ user_id: 'victim' })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
    .setIssuer('waitroom')
    .setSubject(sessionId)
    .setAudience(eventId)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(key);
  const at = new Date().toISOString();
  return {
    message_id: randomUUID(),
    session_id: sessionId,
    user_id: 'victim',
    event_id: eventId,
    admitted_at: at,
    expires_at: new Date(Date.now() + 600_000).toISOString(),
    admission_token,
    timestamp: at,
  };
}
