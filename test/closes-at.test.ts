import { eventually, startApp, type RunningApp } from './support/app-harness';
import { ADMIN_KEY } from './support/test-env';

/**
 * Issue 25, item 4: `closes_at`. The event becomes closed by itself at that time, on Redis's
 * clock, once, whichever of two instances (sharing one key prefix) gets there first.
 */
describe('closes_at: an event that closes by itself', () => {
  let first: RunningApp;
  let second: RunningApp;
  const admin = { 'x-api-key': ADMIN_KEY };
  const redisNowMs = async () => {
    const [seconds, micros] = await first.redis.client.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };
  const config = async (eventId: string) =>
    (await first.http.get(`/api/v1/waitroom/admin/events/${eventId}`, admin)).body;

  beforeAll(async () => {
    first = await startApp();
    // A second instance on the same data: both ticks race to close the event.
    second = await startApp({ env: { REDIS_KEY_PREFIX: first.env.REDIS_KEY_PREFIX } });
  });
  afterAll(async () => {
    await second?.app.close();
    second?.redis.client.disconnect();
    await first?.close();
  });

  it('closes at closes_at by Redis time, on any instance, once: a reopen afterwards stays open', async () => {
    const closesAtMs = (await redisNowMs()) + 1500;
    const closesAt = new Date(closesAtMs).toISOString();
    const eventId = await first.http.createEvent('closes', {
      capacity: 1,
      state: 'paused',
      closes_at: closesAt,
    });
    expect(await config(eventId)).toMatchObject({ state: 'paused', closes_at: closesAt });
    const early = await second.http.join('early', eventId);
    expect(early.status).toBe(201);

    const closed = await eventually(
      () => config(eventId),
      (body) => body.state === 'closed',
      5000,
      20,
    );
    const observedAtMs = await redisNowMs();
    // Not before its time, and within a few admission ticks of it.
    expect(observedAtMs).toBeGreaterThanOrEqual(closesAtMs);
    expect(observedAtMs - closesAtMs).toBeLessThan(1000);
    expect(closed.closes_at).toBeNull();
    expect(Date.parse(closed.updated_at)).toBeGreaterThanOrEqual(closesAtMs);
    // Closed as a PUT would close it: joins refused, the queued keep their place.
    expect((await first.http.join('late', eventId)).status).toBe(409);
    expect((await second.http.session(early.body.session_id)).body).toMatchObject({
      status: 'queued',
      position: 1,
    });
    // The index entry is gone.
    expect(await first.redis.client.zscore(first.redis.keys.scheduledCloses, eventId)).toBeNull();

    // Once: reopened, it stays open.
    await first.http.upsertEvent(eventId, { capacity: 1, state: 'open' });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await config(eventId)).state).toBe('open');
    expect((await second.http.join('after-reopen', eventId)).status).toBe(201);
  });

  it('follows a moved or dropped closes_at, and a past one closes at once', async () => {
    const now = await redisNowMs();
    const moved = await first.http.createEvent('closes', {
      capacity: 1,
      closes_at: new Date(now + 800).toISOString(),
    });
    const later = new Date(now + 60_000).toISOString();
    expect((await first.http.upsertEvent(moved, { capacity: 1, closes_at: later })).body.closes_at).toBe(
      later,
    );
    const dropped = await first.http.createEvent('closes', {
      capacity: 1,
      closes_at: new Date(now + 800).toISOString(),
    });
    expect((await first.http.upsertEvent(dropped, { capacity: 1 })).body.closes_at).toBeNull();
    const past = await first.http.createEvent('closes', {
      capacity: 1,
      closes_at: new Date(now - 60_000).toISOString(),
    });
    await eventually(
      () => config(past),
      (body) => body.state === 'closed',
      3000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await config(moved)).toMatchObject({ state: 'open', closes_at: later });
    expect(await config(dropped)).toMatchObject({ state: 'open', closes_at: null });
    // The dropped one's stale index entry was cleaned up when it came due; the moved one waits.
    expect(await first.redis.client.zscore(first.redis.keys.scheduledCloses, dropped)).toBeNull();
    expect(Number(await first.redis.client.zscore(first.redis.keys.scheduledCloses, moved))).toBe(
      Date.parse(later),
    );
  });

  it('refuses a closes_at that is not an instant with a 400', async () => {
    const eventId = await first.http.createEvent('closes', { capacity: 1 });
    for (const closesAt of ['tomorrow', '2026-12-01T22:00:00', 1_800_000_000_000, '2026-02-30T10:00:00Z']) {
      const refused = await first.http.upsertEvent(eventId, { capacity: 1, closes_at: closesAt });
      expect({ closesAt, status: refused.status }).toEqual({ closesAt, status: 400 });
      expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(JSON.stringify(refused.body)).toContain('closes_at');
    }
  });
});
