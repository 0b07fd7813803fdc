import type { HistoryBody } from '@waitroom/contracts';
import { ActiveEvents } from '../apps/waitroom/src/registry/active-events';
import { QueueService } from '../apps/waitroom/src/queue/queue.service';
import { eventually, startApp, type RunningApp, type TestRedis } from './support/app-harness';
import { ADMIN_KEY, uniquePrefix } from './support/test-env';

const INTERVAL_MS = 200;

/** Issue 11: the short per-event history in Redis behind the operator dashboard's charts. */
describe('event history: GET /admin/events/:event_id/history', () => {
  let svc: RunningApp;
  let redis: TestRedis;
  const admin = { 'x-api-key': ADMIN_KEY };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const historyOf = (app: RunningApp, eventId: string, query = '', headers = admin) =>
    app.http.get<HistoryBody & { errors?: string[] }>(
      `/api/v1/waitroom/admin/events/${encodeURIComponent(eventId)}/history${query}`,
      headers,
    );
  const historyKey = (app: RunningApp, eventId: string) => app.redis.keys.forEvent(eventId).history;

  beforeAll(async () => {
    svc = await startApp({ env: { HISTORY_SAMPLE_INTERVAL_MS: String(INTERVAL_MS) } });
    redis = svc.redis;
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('needs the admin key, answers 404 for an unknown event and 400 for a since that is not epoch seconds', async () => {
    const eventId = await svc.http.createEvent('hist', { capacity: 1 });
    expect((await historyOf(svc, eventId, '', {} as typeof admin)).status).toBe(401);
    const unknown = await historyOf(svc, `${eventId}-nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ status: 404, code: 'EVENT_NOT_FOUND' });
    for (const since of ['abc', '-1', '1e9', '1.2345', '', '12345678901234', '1,5']) {
      const response = await historyOf(svc, eventId, `?since=${encodeURIComponent(since)}`);
      expect([since, response.status]).toEqual([since, 400]);
      expect(response.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      expect(response.body.errors).toEqual([expect.stringContaining('since must be epoch seconds')]);
    }
    const repeated = await historyOf(svc, eventId, '?since=1&since=2');
    expect(repeated.status).toBe(400);
    const unknownParameter = await historyOf(svc, eventId, '?from=1');
    expect(unknownParameter.status).toBe(400);
    expect(unknownParameter.body.errors).toEqual(['property from should not exist']);
    expect((await historyOf(svc, eventId, '?since=1767225600.5')).status).toBe(200);
  });

  it('samples an event with work every interval: live counts, and per-minute rates from the totals', async () => {
    const eventId = await svc.http.createEvent('hist', { capacity: 2 });
    for (let i = 0; i < 5; i++) expect((await svc.http.join(`u-${i}`, eventId)).status).toBe(201);
    const settled = await eventually(
      () => historyOf(svc, eventId),
      (r) => r.body.t.length >= 3 && r.body.queue_length.at(-1) === 3 && r.body.active_count.at(-1) === 2,
    );
    const body = settled.body;
    expect(body).toMatchObject({
      event_id: eventId,
      interval_seconds: INTERVAL_MS / 1000,
      window_seconds: 3600,
    });
    const columns = [
      body.queue_length,
      body.active_count,
      body.joins_per_minute,
      body.admissions_per_minute,
      body.completions_per_minute,
    ];
    for (const column of columns) expect(column).toHaveLength(body.t.length);
    // Ascending times, about one interval apart, in epoch seconds.
    for (let i = 1; i < body.t.length; i++) expect(body.t[i]).toBeGreaterThan(body.t[i - 1]);
    expect(Math.abs(body.t.at(-1)! - Date.now() / 1000)).toBeLessThan(5);
    // The very first sample has nothing to be measured from.
    expect(body.joins_per_minute[0]).toBeNull();

    // Joins, admissions and a completion between two samples show up as rates.
    const since = body.t.at(-1)!;
    for (let i = 5; i < 10; i++) await svc.http.join(`u-${i}`, eventId);
    const ready = (await svc.http.get(`/api/v1/waitroom/admin/events/${eventId}`, admin)).body;
    expect(ready.stats.active_count).toBe(2);
    const first = await svc.http.join('u-0', eventId);
    expect(first.body.status).toBe('ready');
    // The service method the CHECKOUT_COMPLETED handler calls (no Kafka consumer in this suite).
    expect(await svc.app.get(QueueService).finishCheckout(first.body.session_id, 'completed')).toBe(
      'applied',
    );

    const later = await eventually(
      () => historyOf(svc, eventId, `?since=${since}`),
      (r) => r.body.completions_per_minute.some((rate) => rate !== null && rate > 0) && r.body.t.length >= 2,
    );
    // Only samples after `since`, and the first of them is measured from the one before.
    expect(later.body.t.every((t) => t > since)).toBe(true);
    expect(later.body.joins_per_minute[0]).not.toBeNull();
    const sum = (column: (number | null)[]) => column.reduce<number>((total, rate) => total + (rate ?? 0), 0);
    expect(sum(later.body.joins_per_minute)).toBeGreaterThan(0);
    expect(sum(later.body.admissions_per_minute)).toBeGreaterThan(0);
    // Every rate is the growth of its total over the time between samples: re-derive one from the stats.
    const all = (await historyOf(svc, eventId)).body;
    const stats = (await svc.http.stats(eventId)).body;
    expect(stats.joined_total).toBe(10);
    const minutes = (i: number) => (all.t[i] - all.t[i - 1]) / 60;
    const joinsCounted = all.joins_per_minute.reduce<number>(
      (total, rate, i) => total + (rate === null ? 0 : rate * minutes(i)),
      0,
    );
    // The first sample already held the first joins; the rest were counted by the rates (rounding aside).
    expect(joinsCounted).toBeLessThanOrEqual(10.5);
    expect(joinsCounted).toBeGreaterThanOrEqual(4.5);

    // `since` at the newest point: nothing new yet (or only what was sampled meanwhile).
    const newest = all.t.at(-1)!;
    const none = await historyOf(svc, eventId, `?since=${newest}`);
    expect(none.body.t.every((t) => t > newest)).toBe(true);
  });

  it('keeps the history bounded: trimmed to the window, and the key expires an hour after the last sample', async () => {
    const eventId = await svc.http.createEvent('hist', { capacity: 1 });
    await svc.http.join('someone', eventId);
    const key = historyKey(svc, eventId);
    await eventually(
      () => redis.client.xlen(key),
      (length) => length >= 2,
    );
    const ttl = await redis.client.pttl(key);
    expect(ttl).toBeGreaterThan(3_590_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });

  it('costs nothing for an event without work: once it leaves the active set, no more samples', async () => {
    const eventId = await svc.http.createEvent('hist', { capacity: 1 });
    const activeEvents = svc.app.get(ActiveEvents);
    // A new event stays in the active set for the retire grace (10 s), sampled meanwhile.
    await eventually(
      async () => (await activeEvents.ids()).includes(eventId),
      (active) => !active,
      20_000,
      200,
    );
    const key = historyKey(svc, eventId);
    const length = await redis.client.xlen(key);
    await sleep(INTERVAL_MS * 5);
    expect(await redis.client.xlen(key)).toBe(length);
    // Work brings it back.
    await svc.http.join('late', eventId);
    await eventually(
      () => redis.client.xlen(key),
      (now) => now > length,
    );
  }, 40_000);

  it('deletes the history with the event, and a late sample does not bring it back', async () => {
    const eventId = await svc.http.createEvent('hist', { capacity: 1 });
    await svc.http.join('a', eventId);
    await svc.http.join('b', eventId);
    const key = historyKey(svc, eventId);
    await eventually(
      () => redis.client.exists(key),
      (exists) => exists === 1,
    );
    await svc.http.upsertEvent(eventId, { capacity: 1, state: 'closed' });
    const removed = await svc.http.delete(`/api/v1/waitroom/admin/events/${eventId}`, admin);
    expect(removed.status).toBe(200);
    expect(await redis.client.exists(key)).toBe(0);
    // The event stays in the active set until its QUEUE_LEFT are published; the sampler skips it.
    await sleep(INTERVAL_MS * 5);
    expect(await redis.client.exists(key)).toBe(0);
    expect((await historyOf(svc, eventId)).status).toBe(404);
  });

  it('is sampled by one instance per interval, however many run', async () => {
    const prefix = uniquePrefix('hist-two');
    const env = { HISTORY_SAMPLE_INTERVAL_MS: String(INTERVAL_MS), REDIS_KEY_PREFIX: prefix };
    const [one, two] = await Promise.all([startApp({ env }), startApp({ env })]);
    try {
      const eventId = await one.http.createEvent('hist', { capacity: 1 });
      await one.http.join('x', eventId);
      const started = Date.now();
      await sleep(3_000);
      const body = (await historyOf(two, eventId)).body;
      const elapsedIntervals = (Date.now() - started) / INTERVAL_MS;
      // Two samplers would give about twice as many samples.
      expect(body.t.length).toBeGreaterThan(elapsedIntervals * 0.5);
      expect(body.t.length).toBeLessThanOrEqual(elapsedIntervals + 2);
    } finally {
      await two.close();
      await one.close();
    }
  });
});
