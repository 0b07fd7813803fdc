import { QueueRepository, AUDIT_LOG_CAP } from '../apps/waitroom/src/queue/queue.repository';
import { settingsFromRequest } from '../apps/waitroom/src/queue/event-config';
import { startApp, type RunningApp } from './support/app-harness';
import { ADMIN_KEY } from './support/test-env';

const ALICE_KEY = 'alice-operator-key-0123456789';
const BOB_KEY = 'bob-operator-key-0123456789ab';
const VIEWER_KEY = 'night-viewer-key-0123456789ab';

/**
 * Issue 25, item 5: named operator keys, read-only viewer keys (403 FORBIDDEN on every change),
 * and the audit log GET /admin/events/:id/audit (who changed what, newest first, capped at
 * 10,000, the key's name and never the key).
 */
describe('named admin keys, viewers and the audit log', () => {
  let svc: RunningApp;
  const as = (key: string) => ({ 'x-api-key': key });
  const path = (eventId: string, rest = '') =>
    `/api/v1/waitroom/admin/events/${encodeURIComponent(eventId)}${rest}`;
  const audit = (eventId: string, key = ADMIN_KEY, query = '') =>
    svc.http.get(path(eventId, `/audit${query}`), as(key));

  beforeAll(async () => {
    svc = await startApp({
      env: {
        ADMIN_API_KEYS: `alice:${ALICE_KEY},bob:${BOB_KEY}`,
        ADMIN_VIEWER_KEYS: `night-viewer:${VIEWER_KEY}`,
      },
    });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('lets every operator key change events, a viewer read but never change (403 FORBIDDEN), others nothing (401)', async () => {
    const created = await svc.http.put(path('keys-1'), { capacity: 2 }, as(ALICE_KEY));
    expect(created.status).toBe(201);
    expect(created.headers.get('x-admin-role')).toBe('operator');
    expect((await svc.http.put(path('keys-1'), { capacity: 3 }, as(BOB_KEY))).status).toBe(200);

    for (const read of [path('keys-1'), path(''), path('keys-1', '/history'), path('keys-1', '/audit')]) {
      const answer = await svc.http.get(read.replace(/\/$/, ''), as(VIEWER_KEY));
      expect({ read, status: answer.status }).toEqual({ read, status: 200 });
      expect(answer.headers.get('x-admin-role')).toBe('viewer');
    }
    const changes = [
      () => svc.http.put(path('keys-1'), { capacity: 9 }, as(VIEWER_KEY)),
      () => svc.http.put(path('keys-new'), { capacity: 9 }, as(VIEWER_KEY)),
      () => svc.http.post(path('keys-1', '/sold-out'), {}, as(VIEWER_KEY)),
      () => svc.http.delete(path('keys-1'), as(VIEWER_KEY)),
    ];
    for (const change of changes) {
      const refused = await change();
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({
        status: 403,
        code: 'FORBIDDEN',
        message: 'the key "night-viewer" is read-only: changes need an operator key',
      });
    }
    // Nothing changed, nothing created, nothing recorded.
    expect((await svc.http.get(path('keys-1'), as(ALICE_KEY))).body).toMatchObject({
      capacity: 3,
      state: 'open',
    });
    expect((await svc.http.get(path('keys-new'), as(ALICE_KEY))).status).toBe(404);
    expect((await audit('keys-1')).body.entries).toHaveLength(2);

    // A viewer is no trusted caller: no priority joins.
    expect((await svc.http.join('vip', 'keys-1', 5, as(VIEWER_KEY))).status).toBe(403);
    expect((await svc.http.join('vip', 'keys-1', 5, as(BOB_KEY))).status).toBe(201);

    for (const key of ['', 'wrong-key-0123456789abcdef', `${VIEWER_KEY}x`]) {
      const refused = await svc.http.get(path('keys-1'), key ? as(key) : {});
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('UNAUTHORIZED');
    }
  });

  it('records every change with the time, the key name and old and new values, newest first; never a key', async () => {
    const eventId = `audit-${Date.now()}`;
    const before = Date.now();
    await svc.http.put(path(eventId), { capacity: 10, admission_rate_per_minute: 600 }, as(ALICE_KEY));
    await svc.http.put(
      path(eventId),
      { capacity: 20, admission_rate_per_minute: 600, message: 'Doors open at 8 pm.' },
      as(BOB_KEY),
    );
    // A PUT that changes nothing is no change.
    await svc.http.put(
      path(eventId),
      { capacity: 20, admission_rate_per_minute: 600, message: 'Doors open at 8 pm.' },
      as(BOB_KEY),
    );
    await svc.http.post(path(eventId, '/sold-out'), { message: 'Sold out!' }, as(ADMIN_KEY));
    // A repeated sold-out is recorded (the request happened), with nothing changed.
    await svc.http.post(path(eventId, '/sold-out'), {}, as(ALICE_KEY));

    const answer = await audit(eventId, VIEWER_KEY);
    expect(answer.status).toBe(200);
    expect(answer.body.event_id).toBe(eventId);
    const entries = answer.body.entries;
    expect(entries.map((e: { actor: string; action: string }) => `${e.actor} ${e.action}`)).toEqual([
      'alice sold_out',
      'admin sold_out',
      'bob update',
      'alice create',
    ]);
    expect(entries[0].changes).toEqual({});
    expect(entries[1].changes).toEqual({
      state: { old: 'open', new: 'closed' },
      message: { old: 'Doors open at 8 pm.', new: 'Sold out!' },
    });
    expect(entries[2].changes).toEqual({
      capacity: { old: 10, new: 20 },
      message: { old: null, new: 'Doors open at 8 pm.' },
    });
    expect(entries[3].changes).toMatchObject({
      capacity: { old: null, new: 10 },
      admission_rate_per_minute: { old: null, new: 600 },
      state: { old: null, new: 'open' },
    });
    const times = entries.map((e: { at: string }) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(times[times.length - 1]).toBeGreaterThanOrEqual(before - 1000);
    // Never a key, anywhere in the log or the metrics.
    const text = JSON.stringify(answer.body);
    const metrics = String((await svc.http.get('/metrics')).body);
    for (const key of [ADMIN_KEY, ALICE_KEY, BOB_KEY, VIEWER_KEY]) {
      expect(text).not.toContain(key);
      expect(metrics).not.toContain(key);
    }
    // `limit` takes the newest ones; anything but 1-10000 is a 400.
    expect(
      (await audit(eventId, ADMIN_KEY, '?limit=2')).body.entries.map((e: { action: string }) => e.action),
    ).toEqual(['sold_out', 'sold_out']);
    for (const limit of ['0', '10001', '-1', '1.5', 'ten', '']) {
      const refused = await audit(eventId, ADMIN_KEY, `?limit=${limit}`);
      expect({ limit, status: refused.status }).toEqual({ limit, status: 400 });
      expect(refused.body.code).toBe('VALIDATION_FAILED');
    }
    expect((await audit('no-such-event')).status).toBe(404);
  });

  it('keeps the removal as the last entry of a removed event, readable until retention, and goes on for a new event of the id', async () => {
    const eventId = `audit-removed-${Date.now()}`;
    await svc.http.put(path(eventId), { capacity: 1, state: 'closed' }, as(ALICE_KEY));
    expect((await svc.http.delete(path(eventId), as(BOB_KEY))).status).toBe(200);
    const removed = await audit(eventId);
    expect(removed.status).toBe(200);
    expect(
      removed.body.entries.map((e: { actor: string; action: string }) => `${e.actor} ${e.action}`),
    ).toEqual(['bob delete', 'alice create']);
    const ttl = await svc.redis.client.ttl(svc.redis.keys.forEvent(eventId).audit);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(svc.env.SESSION_RETENTION_SECONDS);

    await svc.http.put(path(eventId), { capacity: 2 }, as(ALICE_KEY));
    expect((await audit(eventId)).body.entries.map((e: { action: string }) => e.action)).toEqual([
      'create',
      'delete',
      'create',
    ]);
    expect(await svc.redis.client.ttl(svc.redis.keys.forEvent(eventId).audit)).toBe(-1);
  });

  it(`keeps at most ${AUDIT_LOG_CAP} entries, the newest`, async () => {
    const eventId = `audit-cap-${Date.now()}`;
    const repository = svc.app.get(QueueRepository);
    const total = AUDIT_LOG_CAP + 5;
    // Each change alternates the capacity, so every one is recorded; 100 at a time, in-process.
    for (let i = 0; i < total; i += 100)
      await Promise.all(
        Array.from({ length: Math.min(100, total - i) }, (_, j) =>
          repository.upsertEvent(eventId, settingsFromRequest({ capacity: i + j + 1 }), 'cap-test'),
        ),
      );
    const answer = await audit(eventId);
    expect(answer.body.entries).toHaveLength(AUDIT_LOG_CAP);
    expect(await svc.redis.client.llen(svc.redis.keys.forEvent(eventId).audit)).toBe(AUDIT_LOG_CAP);
    // The oldest went: the first (create) is gone, the newest is first.
    expect(answer.body.entries.every((e: { action: string }) => e.action === 'update')).toBe(true);
    expect(answer.body.entries[0].changes.capacity.new).toBe(
      Number((await svc.http.get(path(eventId), as(ADMIN_KEY))).body.capacity),
    );
  });
});
