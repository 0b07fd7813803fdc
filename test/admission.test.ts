import { Topics } from '@waitroom/contracts';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  jwtVerify,
} from 'jose';
import type { Producer } from 'kafkajs';
import { eventually, startApp, type RunningApp } from './support/app-harness';
import { sendCheckoutOutcome, testProducer, TopicCollector } from './support/kafka';

/** Issue 5: admission within capacity and rate, reclaiming slots, pre-queue shuffle, signed tokens. */
describe('admission', () => {
  let svc: RunningApp;
  let producer: Producer;
  let collector: TopicCollector;
  const newEvent = (config: Record<string, unknown>) => svc.http.createEvent('adm', config);
  const joinMany = async (eventId: string, count: number, prefix = 'u') => {
    const sessions = [];
    for (let i = 0; i < count; i++) sessions.push((await svc.http.join(`${prefix}-${i}`, eventId)).body);
    return sessions as { session_id: string }[];
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    svc = await startApp({ consumer: true });
    producer = await testProducer();
    collector = await TopicCollector.start([Topics.QUEUE_LEFT, Topics.QUEUE_READY]);
  });
  afterAll(async () => {
    await collector?.stop();
    await producer?.disconnect();
    await svc?.close();
  });

  it('admits exactly capacity, keeps it there over many ticks, and a completion admits the next in order', async () => {
    const eventId = await newEvent({ capacity: 2, checkout_timeout_seconds: 300 });
    const sessions = await joinMany(eventId, 5);
    await eventually(
      () => svc.http.stats(eventId),
      (r) => r.body.active_count === 2,
    );
    // ~30 ticks of 50 ms: never more than 2 in checkout.
    for (let i = 0; i < 15; i++) {
      await sleep(100);
      expect((await svc.http.stats(eventId)).body.active_count).toBe(2);
    }
    const statuses = async () =>
      Promise.all(sessions.map(async (s) => (await svc.http.session(s.session_id)).body.status));
    expect(await statuses()).toEqual(['ready', 'ready', 'queued', 'queued', 'queued']);
    expect((await svc.http.session(sessions[2].session_id)).body.position).toBe(1);

    await sendCheckoutOutcome(producer, Topics.CHECKOUT_COMPLETED, sessions[0].session_id, eventId);
    await eventually(statuses, (list) => list.join() === 'completed,ready,ready,queued,queued');
    expect((await svc.http.stats(eventId)).body).toMatchObject({
      active_count: 2,
      admitted_total: 3,
      completed_total: 1,
      queue_length: 2,
    });
  });

  it('frees the slot when a ready session leaves or checkout reports it expired', async () => {
    const eventId = await newEvent({ capacity: 1, checkout_timeout_seconds: 300 });
    const [first, second, third] = await joinMany(eventId, 3, 'free');
    await svc.http.waitForStatus(first.session_id, 'ready');

    expect((await svc.http.leave(first.session_id)).body).toEqual({
      session_id: first.session_id,
      status: 'left',
    });
    await svc.http.waitForStatus(second.session_id, 'ready');

    await sendCheckoutOutcome(producer, Topics.CHECKOUT_EXPIRED, second.session_id, eventId, {
      reason: 'payment timeout',
    });
    await svc.http.waitForStatus(second.session_id, 'expired');
    await svc.http.waitForStatus(third.session_id, 'ready');
    expect((await svc.http.stats(eventId)).body).toMatchObject({
      left_total: 1,
      expired_total: 1,
      active_count: 1,
      admitted_total: 3,
    });
    const [left] = await collector.waitFor(Topics.QUEUE_LEFT, (m) => m.body?.session_id === first.session_id);
    expect(left.body.reason).toBe('user');
    const [expired] = await collector.waitFor(
      Topics.QUEUE_LEFT,
      (m) => m.body?.session_id === second.session_id,
    );
    expect(expired.body.reason).toBe('expired');
  });

  it('paces admissions with the rate (smooth, not a burst), and a paused event admits nobody', async () => {
    const eventId = await newEvent({ capacity: 100, admission_rate_per_minute: 120, state: 'paused' });
    await joinMany(eventId, 30);
    await sleep(600);
    expect((await svc.http.stats(eventId)).body.admitted_total).toBe(0);

    await svc.http.upsertEvent(eventId, { capacity: 100, admission_rate_per_minute: 120, state: 'open' });
    const started = Date.now();
    await sleep(500);
    const early = (await svc.http.stats(eventId)).body.admitted_total;
    expect(early).toBeGreaterThanOrEqual(1);
    expect(early).toBeLessThanOrEqual(3);
    await sleep(3500 - (Date.now() - started));
    const later = (await svc.http.stats(eventId)).body;
    // 2 per second plus the first one: about 8 after 3.5 s, far from all 30.
    expect(later.admitted_total).toBeGreaterThanOrEqual(5);
    expect(later.admitted_total).toBeLessThanOrEqual(11);
    expect(later.estimated_wait_seconds ?? null).toBeNull(); // stats carry no per-person estimate
    const waiting = (await joinMany(eventId, 1, 'late'))[0];
    const read = (await svc.http.session(waiting.session_id)).body;
    // The estimate follows the observed ~2/s: position / rate, within a generous band.
    expect(read.estimated_wait_seconds).toBeGreaterThan(read.position / 6);
    expect(read.estimated_wait_seconds).toBeLessThan(read.position * 3);
  });

  it('issues tokens that verify against the JWKS; a tampered or misdirected token does not', async () => {
    const eventId = await newEvent({ capacity: 1, checkout_timeout_seconds: 60 });
    const [session] = await joinMany(eventId, 1, 'token');
    const ready = await svc.http.waitForStatus(session.session_id, 'ready');
    const token: string = ready.body.admission_token;
    const jwks = createLocalJWKSet((await svc.http.get('/.well-known/jwks.json')).body);
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      audience: eventId,
      issuer: 'waitroom',
    });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload).toMatchObject({ sub: session.session_id, aud: eventId, user_id: 'token-0' });
    expect(payload.exp).toBe(Math.floor(Date.parse(ready.body.expires_at) / 1000));

    const [header, body, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...payload, user_id: 'someone-else' })).toString('base64url');
    await expect(jwtVerify(`${header}.${forged}.${signature}`, jwks)).rejects.toThrow();
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
    await expect(jwtVerify(`${header}.${body}.${flipped}`, jwks)).rejects.toThrow();
    await expect(jwtVerify(token, jwks, { audience: 'another-event' })).rejects.toThrow();
  });

  it('reclaims an expired checkout slot and drops an idle queued session, telling Kafka why', async () => {
    const expiring = await newEvent({ capacity: 1, checkout_timeout_seconds: 10 });
    const [first, second] = await joinMany(expiring, 2, 'exp');
    const idle = await newEvent({ capacity: 1, state: 'paused', idle_timeout_seconds: 10 });
    const [polled, silent] = await joinMany(idle, 2, 'idle');
    await svc.http.waitForStatus(first.session_id, 'ready');

    // Keep one idle-event session alive by polling (GET is its heartbeat); let the other go quiet.
    const deadline = Date.now() + 13000;
    while (Date.now() < deadline) {
      expect((await svc.http.session(polled.session_id)).body.status).toBe('queued');
      await sleep(1000);
    }
    await eventually(
      () => svc.http.session(first.session_id),
      (r) => r.body.status === 'expired',
      5000,
    );
    await eventually(
      () => svc.http.session(second.session_id),
      (r) => r.body.status === 'ready',
      5000,
    );
    expect((await svc.http.stats(expiring)).body).toMatchObject({ expired_total: 1, active_count: 1 });
    const [expiredMessage] = await collector.waitFor(
      Topics.QUEUE_LEFT,
      (m) => m.body?.session_id === first.session_id,
    );
    expect(expiredMessage.body.reason).toBe('expired');

    await eventually(
      () => svc.http.session(silent.session_id),
      (r) => r.body.status === 'abandoned',
      5000,
    );
    expect((await svc.http.session(polled.session_id)).body).toMatchObject({ status: 'queued', position: 1 });
    const [abandonedMessage] = await collector.waitFor(
      Topics.QUEUE_LEFT,
      (m) => m.body?.session_id === silent.session_id,
    );
    expect(abandonedMessage.body.reason).toBe('abandoned');
    // An abandoned user may come back, at the end of the line.
    const back = await svc.http.join('idle-1', idle);
    expect(back.status).toBe(201);
    expect(back.body.position).toBe(2);
  }, 40000);

  it('shuffles the pre-queue at opening and queues later arrivals behind it in arrival order', async () => {
    const opensAt = new Date(Date.now() + 2500).toISOString();
    const eventId = await newEvent({
      capacity: 1,
      state: 'paused',
      opens_at: opensAt,
      shuffle_at_open: true,
    });
    const early = await joinMany(eventId, 30, 'pre');
    // Re-joining before the opening cannot re-roll a better place: it is the same place.
    const rejoin = await svc.http.join('pre-7', eventId);
    expect(rejoin.body.session_id).toBe(early[7].session_id);
    await sleep(Math.max(0, Date.parse(opensAt) - Date.now() + 200));
    const late = await joinMany(eventId, 5, 'post');

    const positionOf = async (s: { session_id: string }) =>
      (await svc.http.session(s.session_id)).body.position as number;
    const earlyPositions = await Promise.all(early.map(positionOf));
    const latePositions = await Promise.all(late.map(positionOf));
    expect([...earlyPositions].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // 30! orders: the join order surviving a fair shuffle is (practically) impossible.
    expect(earlyPositions).not.toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(latePositions).toEqual([31, 32, 33, 34, 35]);
  });
});

describe('admission token keys', () => {
  it('signs with the configured key and keeps a retired public key in the JWKS for rotation', async () => {
    const current = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const retired = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const svc = await startApp({
      env: {
        ADMISSION_TOKEN_PRIVATE_KEY: await exportPKCS8(current.privateKey),
        ADMISSION_TOKEN_PREVIOUS_PUBLIC_KEYS: await exportSPKI(retired.publicKey),
      },
    });
    try {
      const jwks = (await svc.http.get('/.well-known/jwks.json')).body;
      const currentKid = await calculateJwkThumbprint(await exportJWK(current.publicKey));
      const retiredKid = await calculateJwkThumbprint(await exportJWK(retired.publicKey));
      expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual([currentKid, retiredKid]);
      expect(jwks.keys.every((k: Record<string, unknown>) => k.d === undefined)).toBe(true);

      const eventId = `rot-${Date.now()}`;
      await svc.http.upsertEvent(eventId, { capacity: 1 });
      const session = (await svc.http.join('rotating', eventId)).body;
      const ready = await svc.http.waitForStatus(session.session_id, 'ready');
      expect(decodeProtectedHeader(ready.body.admission_token).kid).toBe(currentKid);
      await jwtVerify(ready.body.admission_token, createLocalJWKSet(jwks), { audience: eventId });
    } finally {
      await svc.close();
    }
  });
});
