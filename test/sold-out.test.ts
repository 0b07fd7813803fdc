import { Topics } from '@waitroom/contracts';
import { eventually, SessionStream, startApp, type RunningApp } from './support/app-harness';
import { ADMIN_KEY } from './support/test-env';
import { TopicCollector } from './support/kafka';

/**
 * Issue 25, items 1 and 2: POST /admin/events/:id/sold-out ends every queued session as left
 * (left_reason sold_out, one QUEUE_LEFT reason sold_out each) while ready sessions keep their
 * window; and the event's live `message`, which session bodies, polls and streams carry.
 */
describe('sold out and the live message', () => {
  let svc: RunningApp;
  let collector: TopicCollector;
  const admin = { 'x-api-key': ADMIN_KEY };
  const soldOut = (eventId: string, body?: unknown, headers: Record<string, string> = admin) =>
    svc.http.post(`/api/v1/waitroom/admin/events/${encodeURIComponent(eventId)}/sold-out`, body, headers);

  beforeAll(async () => {
    // Snapshots refreshed as in production (every second), so the 5 s bounds are the real ones.
    svc = await startApp();
    collector = await TopicCollector.start([Topics.QUEUE_LEFT]);
  });
  afterAll(async () => {
    await collector?.stop();
    await svc?.close();
  });

  it('needs the admin key, refuses unknown events (404) and invalid bodies (400), never a 500', async () => {
    const eventId = await svc.http.createEvent('sold', { capacity: 1 });
    expect((await soldOut(eventId, {}, {})).status).toBe(401);
    expect((await soldOut(eventId, {}, { 'x-api-key': 'wrong-key-0123456789abcdef' })).status).toBe(401);
    const unknown = await soldOut(`${eventId}-nope`, {});
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ status: 404, code: 'EVENT_NOT_FOUND' });
    for (const body of [
      { message: 'x'.repeat(501) },
      { message: 42 },
      { message: null },
      { message: 'bell\u0007' },
      { reason: 'because' },
      [],
      'text',
    ]) {
      const refused = await soldOut(eventId, body);
      expect({ body, status: refused.status }).toEqual({ body, status: 400 });
      expect(refused.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      // The one error shape: code, message, status, and the reasons when there are several.
      expect(typeof refused.body.message).toBe('string');
      expect(refused.body.errors === undefined || Array.isArray(refused.body.errors)).toBe(true);
    }
    // Nothing changed: still open.
    expect((await svc.http.stats(eventId)).body.state).toBe('open');
    // 500 characters, line breaks and markup are fine (shown as text).
    const fine = await soldOut(eventId, { message: `${'é'.repeat(480)}\n<b>bye</b>` });
    expect(fine.status).toBe(200);
  });

  it('closes the event, ends queued sessions as left/sold_out with one QUEUE_LEFT each, keeps ready ones, and is idempotent', async () => {
    const eventId = await svc.http.createEvent('sold', { capacity: 2, message: 'Doors open at 8 pm.' });
    const sessions = await svc.http.joinMany(eventId, 7, 'fan');
    await eventually(
      () => svc.http.stats(eventId),
      (r) => r.body.active_count === 2 && r.body.queue_length === 5,
    );
    const ready: string[] = [];
    const queued: string[] = [];
    for (const id of sessions)
      ((await svc.http.session(id)).body.status === 'ready' ? ready : queued).push(id);
    expect(ready).toHaveLength(2);
    expect((await svc.http.session(queued[0])).body).toMatchObject({
      status: 'queued',
      left_reason: null,
      event_message: 'Doors open at 8 pm.',
    });

    const done = await soldOut(eventId, { message: 'All tickets are gone. Thank you for waiting!' });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ event_id: eventId, state: 'closed', ended_sessions: 5 });

    const left = await collector.waitForEvent(Topics.QUEUE_LEFT, eventId, 5);
    expect(left.map((m) => m.body.reason)).toEqual(Array(5).fill('sold_out'));
    expect(new Set(left.map((m) => m.body.session_id))).toEqual(new Set(queued));

    // A poll may be answered from the event's snapshot, one refresh behind (at most 2 × 250 ms here).
    for (const id of queued) await svc.http.waitForStatus(id, 'left', 5000);
    for (const id of queued)
      expect((await svc.http.session(id)).body).toMatchObject({
        status: 'left',
        position: null,
        left_reason: 'sold_out',
        event_message: 'All tickets are gone. Thank you for waiting!',
      });
    // People in checkout keep their window.
    for (const id of ready)
      expect((await svc.http.session(id)).body).toMatchObject({
        status: 'ready',
        left_reason: null,
        event_message: 'All tickets are gone. Thank you for waiting!',
      });
    const stats = (await svc.http.stats(eventId)).body;
    expect(stats).toMatchObject({ state: 'closed', queue_length: 0, active_count: 2, left_total: 5 });
    const config = await svc.http.get(`/api/v1/waitroom/admin/events/${eventId}`, admin);
    expect(config.body).toMatchObject({
      state: 'closed',
      message: 'All tickets are gone. Thank you for waiting!',
    });
    expect((await svc.http.join('late', eventId)).status).toBe(409);

    // Again: nobody ended twice, no second message; without a body the message stays.
    const again = await soldOut(eventId);
    expect(again.body).toEqual({ event_id: eventId, state: 'closed', ended_sessions: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(collector.matching(Topics.QUEUE_LEFT, (m) => m.body.event_id === eventId)).toHaveLength(5);
    expect((await svc.http.session(queued[0])).body.event_message).toBe(
      'All tickets are gone. Thank you for waiting!',
    );
    // A leave reason of its own: a person who leaves by themselves says `user`.
    const reopened = await svc.http.upsertEvent(eventId, { capacity: 2, state: 'paused' });
    expect(reopened.status).toBe(200);
    const later = (await svc.http.join('later', eventId)).body.session_id as string;
    await svc.http.leave(later);
    expect((await svc.http.session(later)).body).toMatchObject({ status: 'left', left_reason: 'user' });
  });

  it('ends a queue of more than one slice, and open streams and fast polls hear it within 5 s with the message', async () => {
    const eventId = await svc.http.createEvent('sold', { capacity: 1, state: 'paused' });
    const sessions = await svc.http.joinMany(eventId, 2100, 'crowd');
    const streamed = [sessions[0], sessions[1500], sessions[2099]];
    const streams = await Promise.all(streamed.map((id) => SessionStream.open(svc.baseUrl, id)));
    const polled = [sessions[10], sessions[2000]];
    try {
      await eventually(
        async () => streams.map((stream) => stream.last?.status),
        (statuses) => statuses.every((status) => status === 'queued'),
      );
      // Warm polls: answered from the snapshot without a read.
      for (let i = 0; i < 3; i++)
        for (const id of polled) expect((await svc.http.session(id)).body.status).toBe('queued');

      const started = Date.now();
      const done = await soldOut(eventId, { message: 'Sold out.' });
      expect(done.body).toEqual({ event_id: eventId, state: 'closed', ended_sessions: 2100 });
      await eventually(
        async () => streams.map((stream) => stream.last),
        (bodies) => bodies.every((body) => body?.status === 'left'),
        5000,
      );
      for (const stream of streams)
        expect(stream.last).toMatchObject({
          status: 'left',
          left_reason: 'sold_out',
          event_message: 'Sold out.',
        });
      for (const id of polled)
        await eventually(
          () => svc.http.session(id),
          (r) => r.body.status === 'left' && r.body.left_reason === 'sold_out',
          5000 - (Date.now() - started),
        );
      expect((await svc.http.stats(eventId)).body).toMatchObject({ queue_length: 0, left_total: 2100 });
      const left = await collector.waitForEvent(Topics.QUEUE_LEFT, eventId, 2100);
      expect(new Set(left.map((m) => m.body.session_id)).size).toBe(2100);
      expect(left.every((m) => m.body.reason === 'sold_out')).toBe(true);
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it('shows a changed message within 5 s on polls and streams, without a status change', async () => {
    const eventId = await svc.http.createEvent('message', { capacity: 1, state: 'paused' });
    const [first, second] = await svc.http.joinMany(eventId, 2, 'reader');
    const stream = await SessionStream.open(svc.baseUrl, second);
    try {
      await eventually(
        async () => stream.last,
        (body) => body?.status === 'queued',
      );
      expect(stream.last.event_message).toBeNull();
      for (let i = 0; i < 3; i++) expect((await svc.http.session(first)).body.event_message).toBeNull();

      const text = 'Back in 5 minutes: <script>alert(1)</script> "quoted" \\ ünïcödé 🎟';
      expect(
        (await svc.http.upsertEvent(eventId, { capacity: 1, state: 'paused', message: text })).body.message,
      ).toBe(text);
      await eventually(
        async () => stream.last,
        (body) => body?.event_message === text,
        5000,
      );
      expect(stream.last).toMatchObject({ status: 'queued', position: 2 });
      await eventually(
        () => svc.http.session(first),
        (r) => r.body.event_message === text,
        5000,
      );
      // Cleared: a PUT without it (a full replacement), or null.
      await svc.http.upsertEvent(eventId, { capacity: 1, state: 'paused', message: null });
      await eventually(
        async () => stream.last,
        (body) => body?.event_message === null,
        5000,
      );
      await eventually(
        () => svc.http.session(first),
        (r) => r.body.event_message === null,
        5000,
      );
    } finally {
      stream.close();
    }
  });

  it('refuses an invalid message on PUT with a 400', async () => {
    const eventId = await svc.http.createEvent('message', { capacity: 1 });
    for (const message of ['x'.repeat(501), 7, ['a'], 'nul\u0000']) {
      const refused = await svc.http.upsertEvent(eventId, { capacity: 1, message });
      expect({ message, status: refused.status }).toEqual({ message, status: 400 });
      expect(refused.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('answers an event notice (state and message) from the snapshot, and 404 for unknown or malformed ids', async () => {
    const eventId = await svc.http.createEvent('notice', { capacity: 1, message: 'Hello, queue.' });
    const notice = (id: string) => svc.http.get(`/api/v1/waitroom/events/${encodeURIComponent(id)}/notice`);
    expect((await notice(eventId)).body).toEqual({
      event_id: eventId,
      state: 'open',
      message: 'Hello, queue.',
    });
    expect((await notice(eventId)).headers.get('cache-control')).toBe('no-store');
    await soldOut(eventId, { message: 'Gone.' });
    await eventually(
      async () => (await notice(eventId)).body,
      (body) => body.state === 'closed' && body.message === 'Gone.',
      5000,
    );
    for (const id of [`${eventId}-nope`, 'bad id!', 'x'.repeat(65)]) {
      const missing = await notice(id);
      expect({ id, status: missing.status }).toEqual({ id, status: 404 });
      expect(missing.body.code).toBe('EVENT_NOT_FOUND');
    }
  });
});
