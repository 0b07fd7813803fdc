import { Topics } from '@waitroom/contracts';
import { eventually, startApp, type RunningApp, type TestRedis } from './support/app-harness';
import { ADMIN_KEY } from './support/test-env';
import { TopicCollector } from './support/kafka';

/** Issue 10: an event can be removed, and then it is gone everywhere but in its sessions' history. */
describe('event lifecycle: DELETE /admin/events/:event_id', () => {
  let svc: RunningApp;
  let collector: TopicCollector;
  let redis: TestRedis;
  const admin = { 'x-api-key': ADMIN_KEY };
  const remove = (eventId: string, headers: Record<string, string> = admin) =>
    svc.http.delete(`/api/v1/waitroom/admin/events/${encodeURIComponent(eventId)}`, headers);

  beforeAll(async () => {
    svc = await startApp();
    redis = svc.redis;
    collector = await TopicCollector.start([Topics.QUEUE_LEFT]);
  });
  afterAll(async () => {
    await collector?.stop();
    await svc?.close();
  });

  it('needs the admin key, refuses unknown (404) and not-closed (409 EVENT_NOT_CLOSED) events', async () => {
    const eventId = await svc.http.createEvent('life', { capacity: 1 });
    expect((await remove(eventId, {})).status).toBe(401);
    expect((await remove(`${eventId}-nope`)).status).toBe(404);
    const open = await remove(eventId);
    expect(open.status).toBe(409);
    expect(open.body).toMatchObject({ status: 409, code: 'EVENT_NOT_CLOSED' });
    await svc.http.upsertEvent(eventId, { capacity: 1, state: 'paused' });
    expect((await remove(eventId)).status).toBe(409);
    // Refused removals changed nothing: the event still takes joins.
    expect((await svc.http.join('still-here', eventId)).status).toBe(201);
  });

  it('ends queued and ready sessions as left with one QUEUE_LEFT reason removed each, then the event is gone', async () => {
    const eventId = await svc.http.createEvent('life', { capacity: 2 });
    const sessions: string[] = [];
    for (let i = 0; i < 5; i++) sessions.push((await svc.http.join(`user-${i}`, eventId)).body.session_id);
    await eventually(
      () => svc.http.stats(eventId),
      (r) => r.body.active_count === 2 && r.body.queue_length === 3,
    );
    await svc.http.upsertEvent(eventId, { capacity: 2, state: 'closed' });

    const removed = await remove(eventId);
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ event_id: eventId, removed: true, ended_sessions: 5 });

    const left = await collector.waitForEvent(Topics.QUEUE_LEFT, eventId, 5);
    expect(left.map((m) => m.body.reason)).toEqual(Array(5).fill('removed'));
    expect(new Set(left.map((m) => m.body.session_id))).toEqual(new Set(sessions));

    // Sessions stay readable, ended.
    for (const sessionId of sessions) {
      const session = await svc.http.session(sessionId);
      expect(session.status).toBe(200);
      expect(session.body).toMatchObject({ status: 'left', position: null, admission_token: null });
    }
    // The event is gone from the list, stats, joins and the admin read.
    const list = await svc.http.get('/api/v1/waitroom/admin/events', admin);
    expect(list.body.events.map((e: { event_id: string }) => e.event_id)).not.toContain(eventId);
    expect((await svc.http.stats(eventId)).status).toBe(404);
    expect((await svc.http.join('late', eventId)).status).toBe(404);
    expect((await svc.http.get(`/api/v1/waitroom/admin/events/${eventId}`, admin)).status).toBe(404);
    expect((await remove(eventId)).status).toBe(404);

    // Once its messages are published nothing of it is left but the sessions and its audit log
    // (both until retention: who removed it stays answerable), and it is off the list of events
    // with work, so no instance visits it.
    const keyPrefix = `${svc.env.REDIS_KEY_PREFIX}{${eventId}}:`;
    await eventually(
      async () =>
        (await redis.client.keys(`${keyPrefix}*`)).filter(
          (key) => !key.startsWith(`${keyPrefix}s:`) && key !== `${keyPrefix}audit`,
        ),
      (keys) => keys.length === 0,
      20000,
      200,
    );
    const auditTtl = await redis.client.ttl(`${keyPrefix}audit`);
    expect(auditTtl).toBeGreaterThan(0);
    expect(auditTtl).toBeLessThanOrEqual(svc.env.SESSION_RETENTION_SECONDS);
    await eventually(
      () => redis.client.zscore(redis.keys.activeEvents, eventId),
      (score) => score === null,
      30000,
      500,
    );
    expect(await redis.client.sismember(redis.keys.eventRegistry, eventId)).toBe(0);
  });

  it('lets a later PUT of the same id create a new, empty event', async () => {
    const eventId = await svc.http.createEvent('life', { capacity: 1, state: 'closed' });
    expect((await remove(eventId)).body).toEqual({ event_id: eventId, removed: true, ended_sessions: 0 });
    const again = await svc.http.upsertEvent(eventId, { capacity: 3 });
    expect(again.status).toBe(201);
    const joined = await svc.http.join('fresh', eventId);
    expect(joined.status).toBe(201);
    expect(joined.body.position).toBe(1);
    const stats = await eventually(
      () => svc.http.stats(eventId),
      (r) => r.body.active_count === 1,
    );
    expect(stats.body).toMatchObject({ queue_length: 0, left_total: 0, admitted_total: 1 });
  });
});
