import { ADMIN_KEY } from '../support/test-env';
import { startApp, type RunningApp } from '../support/app-harness';

/**
 * The queue core against a real Redis: the same cases run on a standalone Redis and on a
 * 3-master Redis Cluster (queue-standalone.test.ts, queue-cluster.test.ts).
 * Events are `paused` unless a case needs admission, so positions stay put while we look.
 */
export function queueSuite(label: string, redisEnv: () => Record<string, string>): void {
  describe(`queue core (${label})`, () => {
    let svc: RunningApp;
    const newEvent = (config: Record<string, unknown> = {}) =>
      svc.http.createEvent(`ev-${label}`, { capacity: 10, state: 'paused', ...config });

    beforeAll(async () => {
      svc = await startApp({ env: redisEnv() });
    });
    afterAll(async () => {
      await svc?.close();
    });

    describe('admin events', () => {
      it('refuses a missing or wrong x-api-key with 401', async () => {
        const body = { capacity: 5 };
        const missing = await svc.http.put('/api/v1/waitroom/admin/events/x1', body);
        const wrong = await svc.http.put('/api/v1/waitroom/admin/events/x1', body, { 'x-api-key': 'nope' });
        const list = await svc.http.get('/api/v1/waitroom/admin/events');
        expect([missing.status, wrong.status, list.status]).toEqual([401, 401, 401]);
        expect(missing.body.code).toBe('UNAUTHORIZED');
      });

      it('creates with 201, updates with 200, and answers with the stored config', async () => {
        const id = `adm-${label}`;
        const created = await svc.http.upsertEvent(id, { capacity: 3, admission_rate_per_minute: 60 });
        expect(created.status).toBe(201);
        expect(created.body).toMatchObject({
          event_id: id,
          capacity: 3,
          admission_rate_per_minute: 60,
          checkout_timeout_seconds: 600,
          state: 'open',
          opens_at: null,
          shuffle_at_open: false,
          idle_timeout_seconds: null,
          checkout_url: null,
        });
        const updated = await svc.http.upsertEvent(id, {
          capacity: 7,
          checkout_url: 'https://shop.example.com/checkout?from=waitroom',
          admission_rate_per_minute: null,
          state: 'paused',
          opens_at: '2030-01-01T10:00:00Z',
          idle_timeout_seconds: 60,
          checkout_timeout_seconds: 30,
        });
        expect(updated.status).toBe(200);
        expect(updated.body).toMatchObject({
          capacity: 7,
          admission_rate_per_minute: null,
          state: 'paused',
          opens_at: '2030-01-01T10:00:00.000Z',
          idle_timeout_seconds: 60,
          checkout_timeout_seconds: 30,
          checkout_url: 'https://shop.example.com/checkout?from=waitroom',
        });
        const read = await svc.http.get(`/api/v1/waitroom/admin/events/${id}`, { 'x-api-key': ADMIN_KEY });
        expect(read.status).toBe(200);
        expect(read.body).toMatchObject({
          event_id: id,
          capacity: 7,
          stats: { queue_length: 0, active_count: 0 },
        });
        const list = await svc.http.get('/api/v1/waitroom/admin/events', { 'x-api-key': ADMIN_KEY });
        expect(list.body.events.map((e: { event_id: string }) => e.event_id)).toContain(id);
      });

      it.each([
        [{ capacity: 0 }, 'capacity'],
        [{ capacity: 1, checkout_timeout_seconds: 5 }, 'checkout_timeout_seconds'],
        [{ capacity: 1, state: 'gone' }, 'state'],
        [{ capacity: '5' }, 'capacity'],
        [{ capacity: 1, opens_at: 'tomorrow' }, 'opens_at'],
        [{ capacity: 1, colour: 'red' }, 'colour'],
      ])('rejects %p with 400 naming %s', async (body, field) => {
        const response = await svc.http.upsertEvent(`bad-${label}`, body);
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('VALIDATION_FAILED');
        expect(response.body.errors.join(' ')).toContain(field);
      });
    });

    describe('join', () => {
      it('creates a session (201) and returns the same one (200) while it is live', async () => {
        const eventId = await newEvent();
        const first = await svc.http.join('alice', eventId);
        expect(first.status).toBe(201);
        expect(first.body).toMatchObject({
          user_id: 'alice',
          event_id: eventId,
          priority: 0,
          status: 'queued',
          position: 1,
          queue_length: 1,
          estimated_wait_seconds: null,
        });
        // <event_id>~<member>~<ticket>: the ticket is what polls are answered from (session-ticket.ts).
        expect(first.body.session_id).toMatch(/^.+~[A-Za-z0-9_-]{22}~[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}$/);
        expect(new Date(first.body.joined_at).toISOString()).toBe(first.body.joined_at);
        const again = await svc.http.join('alice', eventId);
        expect(again.status).toBe(200);
        expect(again.body.session_id).toBe(first.body.session_id);
        expect((await svc.http.stats(eventId)).body.queue_length).toBe(1);
      });

      it.each([
        ['missing user_id', { event_id: 'e' }, 'user_id'],
        ['empty user_id', { user_id: '', event_id: 'e' }, 'user_id'],
        ['user_id too long', { user_id: 'u'.repeat(129), event_id: 'e' }, 'user_id'],
        ['user_id not a string', { user_id: 42, event_id: 'e' }, 'user_id'],
        ['event_id with a space', { user_id: 'u', event_id: 'a b' }, 'event_id'],
        ['event_id starting with a dash', { user_id: 'u', event_id: '-a' }, 'event_id'],
        ['event_id too long', { user_id: 'u', event_id: 'e'.repeat(65) }, 'event_id'],
        ['priority out of range', { user_id: 'u', event_id: 'e', priority: 10 }, 'priority'],
        ['priority as a string', { user_id: 'u', event_id: 'e', priority: '1' }, 'priority'],
        ['priority fractional', { user_id: 'u', event_id: 'e', priority: 1.5 }, 'priority'],
        ['unknown field', { user_id: 'u', event_id: 'e', vip: true }, 'vip'],
      ])('rejects %s with 400 and the reason', async (_name, body, field) => {
        const response = await svc.http.post('/api/v1/waitroom/join', body);
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('VALIDATION_FAILED');
        expect(response.body.errors.join(' ')).toContain(field);
      });

      it.each([
        ['invalid JSON', '{"user_id": "u",', 400],
        ['a JSON array', '[]', 400],
        ['a JSON string', '"hello"', 400],
        ['null', 'null', 400],
      ])('rejects %s with a 4xx, never a 500', async (_name, raw, status) => {
        const response = await svc.http.post('/api/v1/waitroom/join', raw);
        expect(response.status).toBe(status);
        expect(response.body.code).toBeDefined();
      });

      it('refuses a body over the size limit with 413, and a body that is not JSON with 415', async () => {
        const huge = await svc.http.post('/api/v1/waitroom/join', {
          user_id: 'u',
          event_id: 'e',
          pad: 'x'.repeat(20000),
        });
        expect(huge.status).toBe(413);
        expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');
        const text = await svc.http.post('/api/v1/waitroom/join', 'user_id=u', {
          'content-type': 'text/plain',
        });
        // Only application/json is read (issue 10): a form or text body is 415, not parsed.
        expect(text.status).toBe(415);
        expect(text.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      });

      it('answers 404 for an unknown event and 409 for a closed one', async () => {
        const unknown = await svc.http.join('u', `nope-${label}`);
        expect(unknown.status).toBe(404);
        expect(unknown.body.code).toBe('EVENT_NOT_FOUND');
        const eventId = await newEvent({ state: 'closed' });
        const closed = await svc.http.join('u', eventId);
        expect(closed.status).toBe(409);
        expect(closed.body.code).toBe('EVENT_CLOSED');
      });

      it('keeps queued people in place when an event closes, and lets their re-join answer 200', async () => {
        const eventId = await newEvent();
        const joined = await svc.http.join('keeper', eventId);
        await svc.http.upsertEvent(eventId, { capacity: 10, state: 'closed' });
        const again = await svc.http.join('keeper', eventId);
        expect(again.status).toBe(200);
        expect(again.body).toMatchObject({ session_id: joined.body.session_id, position: 1 });
      });

      it('allows priority above 0 only with the x-api-key (403 otherwise) and serves it first', async () => {
        const eventId = await newEvent();
        await svc.http.join('early', eventId);
        const denied = await svc.http.join('vip', eventId, 5);
        expect(denied.status).toBe(403);
        expect(denied.body.code).toBe('PRIORITY_NOT_ALLOWED');
        const wrongKey = await svc.http.join('vip', eventId, 5, { 'x-api-key': 'guess' });
        expect(wrongKey.status).toBe(403);
        const vip = await svc.http.join('vip', eventId, 5, { 'x-api-key': ADMIN_KEY });
        expect(vip.status).toBe(201);
        expect(vip.body).toMatchObject({ priority: 5, position: 1 });
        const early = await svc.http.join('early', eventId);
        expect(early.body.position).toBe(2);
      });

      it('keeps strict arrival order within a priority, even within one millisecond', async () => {
        const eventId = await newEvent();
        const sessions = [];
        for (let i = 0; i < 30; i++) sessions.push((await svc.http.join(`seq-${i}`, eventId)).body);
        expect(sessions.map((s) => s.position)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      });

      it('gives 1,000 concurrent joins of distinct users positions 1..1000, no gaps, no duplicates', async () => {
        const eventId = await newEvent({ capacity: 1 });
        const responses = await Promise.all(
          Array.from({ length: 1000 }, (_, i) => svc.http.join(`crowd-${i}`, eventId)),
        );
        expect(responses.every((r) => r.status === 201)).toBe(true);
        const positions = responses.map((r) => r.body.position as number).sort((a, b) => a - b);
        expect(positions).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
        expect(new Set(responses.map((r) => r.body.session_id)).size).toBe(1000);
        expect((await svc.http.stats(eventId)).body.queue_length).toBe(1000);
      });

      it('gives 200 concurrent joins of the same user one session', async () => {
        const eventId = await newEvent();
        const responses = await Promise.all(
          Array.from({ length: 200 }, () => svc.http.join('same-user', eventId)),
        );
        expect(new Set(responses.map((r) => r.body.session_id)).size).toBe(1);
        expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
        expect(responses.filter((r) => r.status === 200)).toHaveLength(199);
        expect((await svc.http.stats(eventId)).body.queue_length).toBe(1);
      });
    });

    describe('session, leave and stats', () => {
      it('reads a session with its live position; unknown and malformed ids are 404', async () => {
        const eventId = await newEvent();
        const a = (await svc.http.join('a', eventId)).body;
        await svc.http.join('b', eventId);
        const read = await svc.http.session(a.session_id);
        expect(read.status).toBe(200);
        expect(read.body).toMatchObject({
          session_id: a.session_id,
          status: 'queued',
          position: 1,
          queue_length: 2,
          admitted_at: null,
          expires_at: null,
          admission_token: null,
        });
        const unknown = await svc.http.session(`${eventId}~AAAAAAAAAAAAAAAAAAAAAA`);
        expect(unknown.status).toBe(404);
        expect(unknown.body.code).toBe('SESSION_NOT_FOUND');
        expect((await svc.http.session('garbage')).status).toBe(404);
        expect((await svc.http.leave('garbage')).status).toBe(404);
      });

      it('leaves once, answers 200 again on repeat, and shifts the people behind', async () => {
        const eventId = await newEvent();
        const sessions = [];
        for (const user of ['a', 'b', 'c']) sessions.push((await svc.http.join(user, eventId)).body);
        const left = await svc.http.leave(sessions[0].session_id);
        expect(left.status).toBe(200);
        expect(left.body).toEqual({ session_id: sessions[0].session_id, status: 'left' });
        const again = await svc.http.leave(sessions[0].session_id);
        expect(again.status).toBe(200);
        expect(again.body).toEqual({ session_id: sessions[0].session_id, status: 'left' });
        expect((await svc.http.session(sessions[1].session_id)).body.position).toBe(1);
        expect((await svc.http.session(sessions[2].session_id)).body.position).toBe(2);
        const gone = await svc.http.session(sessions[0].session_id);
        expect(gone.body).toMatchObject({ status: 'left', position: null });
        const stats = await svc.http.stats(eventId);
        expect(stats.body).toMatchObject({ queue_length: 2, left_total: 1 });
        // After leaving, the same user may take a new place at the back.
        const rejoin = await svc.http.join('a', eventId);
        expect(rejoin.status).toBe(201);
        expect(rejoin.body.position).toBe(3);
      });

      it('returns the contract stats of an event, 404 for an unknown one', async () => {
        const eventId = await newEvent({ capacity: 4, admission_rate_per_minute: 120 });
        await svc.http.join('s1', eventId);
        const stats = await svc.http.stats(eventId);
        expect(stats.status).toBe(200);
        expect(stats.body).toMatchObject({
          event_id: eventId,
          state: 'paused',
          capacity: 4,
          queue_length: 1,
          active_count: 0,
          admitted_total: 0,
          completed_total: 0,
          failed_total: 0,
          expired_total: 0,
          left_total: 0,
          admission_rate_per_minute: 120,
        });
        expect((await svc.http.stats(`nope-${label}`)).status).toBe(404);
      });

      it('purges ended sessions after the retention period (Redis expiry)', async () => {
        const eventId = await newEvent();
        const session = (await svc.http.join('temp', eventId)).body;
        await svc.http.leave(session.session_id);
        const redis = svc.redis;
        const member = session.session_id.split('~')[1];
        const ttl = await redis.client.ttl(redis.keys.forEvent(eventId).session(member));
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(svc.env.SESSION_RETENTION_SECONDS);
      });
    });
  });
}
