import Redis from 'ioredis';
import { EventSnapshots } from '../apps/waitroom/src/live/event-snapshots';
import { SessionPollService } from '../apps/waitroom/src/live/session-polls.service';
import { eventually, startApp, type RunningApp } from './support/app-harness';
import { monitorRedis } from './support/redis-monitor';
import { ADMIN_KEY, TEST_REDIS_URL } from './support/test-env';

/** Polls read this instance's event snapshot, refreshed this often. */
const POLL_SNAPSHOT_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Issue 12: a queued session's status poll, with exactly the session id join returned, is
 * answered from the instance's per-event snapshot and the id's ticket, without reading the
 * session; Redis is read only when the snapshot says the status may have changed.
 */
describe('status polls from the snapshot (the poll fast path)', () => {
  let svc: RunningApp;
  let polls: SessionPollService;
  let snapshots: EventSnapshots;
  let redis: Redis;

  beforeAll(async () => {
    svc = await startApp({ env: { POLL_SNAPSHOT_MS: String(POLL_SNAPSHOT_MS), ADMISSION_TICK_MS: '50' } });
    polls = svc.app.get(SessionPollService);
    snapshots = svc.app.get(EventSnapshots);
    redis = svc.redis.client as Redis;
  });
  afterAll(async () => {
    await svc?.close();
  });

  const queueKey = (eventId: string) => `${svc.env.REDIS_KEY_PREFIX}{${eventId}}:queue`;
  const member = (sessionId: string) => sessionId.split('~')[1];

  const joinMany = (eventId: string, count: number, label = 'fan') =>
    svc.http.joinMany(eventId, count, label);

  async function pollAll(ids: string[]) {
    return (await Promise.all(ids.map((id) => svc.http.session(id)))).map((response) => {
      expect(response.status).toBe(200);
      return response.body;
    });
  }

  async function ranks(eventId: string, ids: string[]): Promise<(number | null)[]> {
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.zrank(queueKey(eventId), member(id));
    const replies = (await pipeline.exec())!;
    return replies.map(([, rank]) => (rank === null ? null : (rank as number) + 1));
  }

  /** Opens the event until at least `count` people were admitted, then pauses it again. */
  async function admitAtLeast(
    eventId: string,
    config: Record<string, unknown>,
    count: number,
  ): Promise<void> {
    await svc.http.upsertEvent(eventId, { ...config, state: 'open' });
    await eventually(
      async () => (await svc.http.stats(eventId)).body.admitted_total,
      (n) => n >= count,
      20_000,
      50,
    );
    await svc.http.upsertEvent(eventId, { ...config, state: 'paused' });
  }

  /** Every command Redis runs while `work` does (MONITOR: calls from Lua scripts included). */
  async function commandsDuring(work: () => Promise<void>): Promise<string[][]> {
    const monitor = await monitorRedis(TEST_REDIS_URL);
    try {
      await work();
    } finally {
      await monitor.stop(redis);
    }
    return monitor.commands;
  }

  it('answers queued polls without reading any session: positions equal ZRANK exactly, joined_at and all', async () => {
    const eventId = await svc.http.createEvent('fast', { capacity: 10, state: 'paused' });
    const ids = await joinMany(eventId, 300);
    // The same session read directly (an id without its ticket takes the slow path).
    const direct = (await svc.http.session(ids[0].split('~').slice(0, 2).join('~'))).body;
    await pollAll(ids); // the first poll of an event waits for its snapshot
    const sessionKeys = `${svc.env.REDIS_KEY_PREFIX}{${eventId}}:s:`;

    let bodies: Record<string, unknown>[] = [];
    const before = { ...polls.stats };
    const snapshotsBefore = snapshots.stats.snapshots;
    const started = Date.now();
    const commands = await commandsDuring(async () => {
      for (let round = 0; round < 3; round++) bodies = await pollAll(ids);
    });
    const elapsed = Date.now() - started;

    expect(polls.stats.answered - before.answered).toBe(900);
    expect(polls.stats.reads - before.reads).toBe(0);
    // Not one command touched a session or ranked a member during 900 polls...
    // (The admission step names the session-key prefix itself: a session key is longer.)
    const isSessionKey = (arg: unknown) =>
      String(arg).startsWith(sessionKeys) && String(arg).length > sessionKeys.length;
    const perSession = commands.filter(
      (args) => args.some(isSessionKey) || /^zrank$|^zscore$/i.test(args[0]),
    );
    expect(perSession).toEqual([]);
    // The monitor did see the work: the snapshot's script ran while the polls did.
    expect(commands.some((args) => /^evalsha$/i.test(args[0]))).toBe(true);
    // ... and the snapshot was read about once per POLL_SNAPSHOT_MS, whatever the number of polls.
    const snapshotReads = snapshots.stats.snapshots - snapshotsBefore;
    expect(snapshotReads).toBeGreaterThanOrEqual(1);
    expect(snapshotReads).toBeLessThanOrEqual(Math.ceil(elapsed / POLL_SNAPSHOT_MS) + 2);

    expect(bodies.map((body) => body.position)).toEqual(await ranks(eventId, ids));
    expect(bodies.map((body) => body.session_id)).toEqual(ids);
    expect(bodies[0]).toEqual(direct);
    expect(bodies[299]).toMatchObject({
      user_id: 'fan-299',
      event_id: eventId,
      priority: 0,
      status: 'queued',
      position: 300,
      queue_length: 300,
      admitted_at: null,
      expires_at: null,
      admission_token: null,
    });
  });

  it('stays exact through departures ahead, behind and inside a person’s own bucket, reading only those who need it', async () => {
    const eventId = await svc.http.createEvent('fast-churn', { capacity: 10, state: 'paused' });
    const ids = await joinMany(eventId, 600); // three flow buckets of 256 arrivals
    await pollAll(ids);
    // Departures spread over all three buckets, and a priority guest ahead of everyone.
    const leavers = ids.filter((_, i) => i % 7 === 3);
    for (const id of leavers) expect((await svc.http.leave(id)).status).toBe(200);
    const vip = await svc.http.join('vip', eventId, 5, { 'x-api-key': ADMIN_KEY });
    expect(vip.body.position).toBe(1);
    const stayers = ids.filter((id) => !leavers.includes(id));
    await sleep(3 * POLL_SNAPSHOT_MS);

    const before = { ...polls.stats };
    const first = await pollAll(stayers);
    expect(first.map((body) => body.position)).toEqual(await ranks(eventId, stayers));
    // Everyone whose own bucket saw a departure was read once (which side of them?), then the
    // read became their new base: the next polls are all answered from the snapshot.
    expect(polls.stats.reads - before.reads).toBeGreaterThan(0);
    expect(polls.stats.reads - before.reads).toBeLessThanOrEqual(stayers.length);
    const afterFirst = { ...polls.stats };
    const second = await pollAll(stayers);
    expect(second.map((body) => body.position)).toEqual(first.map((body) => body.position));
    expect(polls.stats.reads - afterFirst.reads).toBe(0);
    expect(polls.stats.answered - afterFirst.answered).toBe(stayers.length);

    // The leavers' own polls say so at once on this instance, although no snapshot has seen it yet.
    const gone = await svc.http.join('late-leaver', eventId);
    expect((await svc.http.leave(gone.body.session_id)).status).toBe(200);
    expect((await svc.http.session(gone.body.session_id)).body.status).toBe('left');
    expect((await svc.http.session(leavers[0])).body).toMatchObject({ status: 'left', position: null });
  });

  it('starts the all-band flow totals of an event from before them from its band totals: new joiners’ tickets stay exact', async () => {
    const eventId = await svc.http.createEvent('fast-totals', { capacity: 10, state: 'paused' });
    const flowKey = `${svc.env.REDIS_KEY_PREFIX}{${eventId}}:flow`;
    const early = await joinMany(eventId, 300, 'early');
    const vip = await svc.http.join('vip', eventId, 5, { 'x-api-key': ADMIN_KEY });
    expect(vip.status).toBe(201);
    for (const id of early.filter((_, i) => i % 5 === 1)) expect((await svc.http.leave(id)).status).toBe(200);
    // An event written before the all-band totals: they are gone, and departures do not count them.
    await redis.hdel(flowKey, 'DA', 'JA');
    for (const id of early.filter((_, i) => i % 5 === 2)) expect((await svc.http.leave(id)).status).toBe(200);
    expect(await redis.hexists(flowKey, 'DA')).toBe(0);
    // The next plain join starts them from the band totals, and its baseline is exact.
    const late = await joinMany(eventId, 100, 'late');
    const totals = await redis.hmget(flowKey, 'DA', 'JA', 'D9', 'J4');
    expect(totals.map(Number)).toEqual([120, 1, 120, 1]);
    await sleep(3 * POLL_SNAPSHOT_MS);
    const before = { ...polls.stats };
    const bodies = await pollAll(late);
    expect(bodies.map((body) => body.position)).toEqual(await ranks(eventId, late));
    // Answered from each ticket's baseline: nobody left in or ahead of their buckets since.
    expect(polls.stats.reads - before.reads).toBe(0);
  });

  it('is exact for pre-open draws and every priority band, through departures everywhere', async () => {
    const opensAt = Date.now() + 2500;
    const eventId = await svc.http.createEvent('fast-bands', {
      capacity: 10,
      state: 'paused',
      opens_at: new Date(opensAt).toISOString(),
      shuffle_at_open: true,
    });
    const trusted = { 'x-api-key': ADMIN_KEY };
    const join = async (user: string, priority: number) => {
      const response = await svc.http.join(user, eventId, priority, priority > 0 ? trusted : undefined);
      expect(response.status).toBe(201);
      return response.body.session_id as string;
    };
    // Before the opening: drawn places, in band 0 and band 3.
    const ids: string[] = [];
    for (let i = 0; i < 300; i += 50)
      ids.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, j) => join(`draw-${i + j}`, (i + j) % 10 === 0 ? 3 : 0)),
        )),
      );
    await sleep(Math.max(0, opensAt - Date.now()) + 100);
    // After it: arrivals in bands 0, 7 and 9.
    for (let i = 0; i < 200; i += 50)
      ids.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, j) => join(`late-${i + j}`, [0, 0, 0, 7, 9][(i + j) % 5])),
        )),
      );
    const leavers = ids.filter((_, i) => i % 9 === 4);
    for (const id of leavers) expect((await svc.http.leave(id)).status).toBe(200);
    const stayers = ids.filter((id) => !leavers.includes(id));
    await sleep(3 * POLL_SNAPSHOT_MS);

    const start = { ...polls.stats };
    const first = await pollAll(stayers);
    expect(first.map((body) => body.position)).toEqual(await ranks(eventId, stayers));
    // Many were answered from their ticket's baseline: those whose own bucket saw nobody leave
    // or join since (here mostly drawn places; every arrival bucket saw departures).
    expect(polls.stats.answered - start.answered).toBeGreaterThan(stayers.length / 5);
    const before = { ...polls.stats };
    const second = await pollAll(stayers);
    expect(second.map((body) => body.position)).toEqual(await ranks(eventId, stayers));
    expect(polls.stats.reads - before.reads).toBe(0);
    expect(second.map((body) => body.priority)).toEqual(first.map((body) => body.priority));
  });

  it('folds the flow buckets behind the head, so the snapshot stays small, and positions stay exact', async () => {
    const config = { capacity: 10_000, admission_rate_per_minute: 12_000 };
    const eventId = await svc.http.createEvent('fast-fold', { ...config, state: 'paused' });
    const ids = await joinMany(eventId, 900, 'fold'); // four buckets of 256 arrivals
    await pollAll(ids);
    const leavers = ids.filter((_, i) => i % 7 === 3);
    for (const id of leavers) expect((await svc.http.leave(id)).status).toBe(200);
    const flowKey = `${svc.env.REDIS_KEY_PREFIX}{${eventId}}:flow`;
    expect(Object.keys(await redis.hgetall(flowKey)).filter((f) => /^[dj]\d/.test(f))).toHaveLength(4);
    // Admit until the head is in the last bucket, then hold.
    await admitAtLeast(eventId, config, 620);
    await sleep(3 * POLL_SNAPSHOT_MS);
    // The two buckets the head has passed (arrivals 1-511) are one field for the band, just
    // before its first bucket; the head's bucket and the one behind it stay. Nothing is lost.
    const fields = await redis.hgetall(flowKey);
    const kept = Object.keys(fields)
      .filter((f) => /^[dj]-?\d/.test(f))
      .sort();
    expect(kept).toEqual(['d8999999999999', 'd9000000000258', 'd9000000000259']);
    expect(kept.reduce((sum, field) => sum + Number(fields[field]), 0)).toBe(leavers.length);
    const queued = ids.filter((id) => !leavers.includes(id)).slice(-150);
    const bodies = await pollAll(queued);
    const stillQueued = bodies.filter((body) => body.status === 'queued');
    expect(stillQueued.length).toBeGreaterThan(50);
    expect(stillQueued.map((body) => body.position)).toEqual(
      await ranks(
        eventId,
        stillQueued.map((body) => body.session_id as string),
      ),
    );
    // A guest landing ahead after the fold is counted like any other.
    const vip = await svc.http.join('fold-vip', eventId, 5, { 'x-api-key': ADMIN_KEY });
    expect(vip.body.position).toBe(1);
    await sleep(3 * POLL_SNAPSHOT_MS);
    const after = (await pollAll(stillQueued.map((body) => body.session_id as string))).map(
      (body) => body.position,
    );
    expect(after).toEqual(
      await ranks(
        eventId,
        stillQueued.map((body) => body.session_id as string),
      ),
    );
  });

  it('sees the people the head has passed as admitted after the fold, even with a departure in their bucket', async () => {
    // A departure in the first bucket makes its people read once and keep that read as their
    // base (own-bucket departures: 1). Admissions then pass the bucket and the tick folds it, so
    // the snapshot no longer shows that departure: it must not be taken for an older snapshot
    // (which keeps the base's position), or they would be told "queued" while in checkout.
    const config = { capacity: 10_000, admission_rate_per_minute: 12_000 };
    const eventId = await svc.http.createEvent('fast-fold-admit', { ...config, state: 'paused' });
    const ids = await joinMany(eventId, 300, 'fold-admit');
    await pollAll(ids);
    expect((await svc.http.leave(ids[100])).status).toBe(200);
    await sleep(3 * POLL_SNAPSHOT_MS);
    const readsBefore = polls.stats.reads;
    const firstBucket = ids.slice(0, 255).filter((_, i) => i !== 100); // arrivals 1-255
    const queuedBodies = await pollAll(firstBucket);
    expect(queuedBodies.map((body) => body.position)).toEqual(await ranks(eventId, firstBucket));
    expect(polls.stats.reads - readsBefore).toBe(firstBucket.length); // each read and learnt
    await admitAtLeast(eventId, config, 270);
    const flowKey = `${svc.env.REDIS_KEY_PREFIX}{${eventId}}:flow`;
    expect(Object.keys(await redis.hgetall(flowKey))).not.toContain('d9000000000256');
    await sleep(3 * POLL_SNAPSHOT_MS);
    const statuses = (await pollAll(firstBucket)).map((body) => body.status);
    expect(statuses.filter((status) => status !== 'ready')).toEqual([]);
  });

  it('does not answer for the sessions of a removed event from the snapshot of a new event of the same id', async () => {
    const eventId = await svc.http.createEvent('fast-removed', { capacity: 10, state: 'paused' });
    const ids = await joinMany(eventId, 5, 'removed');
    expect((await pollAll(ids)).map((body) => body.status)).toEqual(Array(5).fill('queued'));
    await svc.http.upsertEvent(eventId, { capacity: 10, state: 'closed' });
    expect(
      (await svc.http.delete(`/api/v1/waitroom/admin/events/${eventId}`, { 'x-api-key': ADMIN_KEY })).status,
    ).toBe(200);
    await svc.http.upsertEvent(eventId, { capacity: 10, state: 'paused' });
    await joinMany(eventId, 2, 'removed-new');
    await sleep(3 * POLL_SNAPSHOT_MS);
    for (const id of ids) {
      const canonical = id.split('~').slice(0, 2).join('~');
      const direct = await svc.http.session(canonical);
      const fast = await svc.http.session(id);
      expect([fast.status, fast.body.status]).toEqual([direct.status, direct.body.status]);
    }
  });

  it('answers in the fast lane, before the framework, with the framework route’s body, headers and metrics', async () => {
    const eventId = await svc.http.createEvent('fast-lane', { capacity: 10, state: 'paused' });
    const [id] = await joinMany(eventId, 1, 'lane');
    await svc.http.session(id); // loads the snapshot
    const countOf = async () => {
      const text = (await svc.http.get('/metrics')).body as string;
      const line = text
        .split('\n')
        .find((l) =>
          l.startsWith(
            'waitroom_http_request_duration_seconds_count{method="GET",route="/api/v1/waitroom/sessions/:session_id",status_code="200"}',
          ),
        );
      return Number(line?.split(' ')[1] ?? 0);
    };
    const countBefore = await countOf();
    const before = { ...polls.stats };
    const lane = await fetch(`${svc.baseUrl}/api/v1/waitroom/sessions/${id}`, {
      headers: { 'x-request-id': 'lane-1' },
    });
    expect(polls.stats.answered - before.answered).toBe(1);
    // The same session through Fastify and Nest: an id without its ticket is not the lane's.
    const framework = await fetch(
      `${svc.baseUrl}/api/v1/waitroom/sessions/${id.split('~').slice(0, 2).join('~')}`,
    );
    expect(polls.stats.answered - before.answered).toBe(1);
    expect(lane.status).toBe(200);
    expect(await lane.text()).toBe(await framework.text());
    const headers = (response: Response) =>
      Object.fromEntries([...response.headers].filter(([name]) => !['date', 'x-request-id'].includes(name)));
    expect(headers(lane)).toEqual(headers(framework));
    expect(lane.headers.get('x-request-id')).toBe('lane-1');
    expect(framework.headers.get('x-request-id')).toEqual(expect.any(String));
    expect(await countOf()).toBe(countBefore + 2);
    // What the lane does not settle goes on untouched: a percent-encoded id, a query string.
    for (const path of [encodeURIComponent(id).replace(/~/g, '%7E'), `${id}?x=1`]) {
      const response = await svc.http.get(`/api/v1/waitroom/sessions/${path}`);
      expect(response.status).toBe(200);
      expect(response.body.session_id).toBe(id);
    }
  });

  it('sees an admission within one snapshot refresh, and then reads the ready session for its token', async () => {
    const eventId = await svc.http.createEvent('fast-admit', { capacity: 3, state: 'paused' });
    const ids = await joinMany(eventId, 5, 'admit');
    await pollAll(ids);
    await svc.http.upsertEvent(eventId, { capacity: 3, state: 'open' });
    const sessionKey = `${svc.env.REDIS_KEY_PREFIX}{${eventId}}:s:${member(ids[0])}`;
    await eventually(
      () => redis.hget(sessionKey, 'st'),
      (status) => status === 'ready',
      5000,
      5,
    );
    const admittedAt = Date.now();
    const seen = await eventually(
      async () => (await svc.http.session(ids[0])).body,
      (body) => body.status === 'ready',
      5000,
      5,
    );
    expect(Date.now() - admittedAt).toBeLessThanOrEqual(2 * POLL_SNAPSHOT_MS + 100);
    expect(seen.admission_token).toEqual(expect.any(String));
    // The two still queued moved up by the three admitted, from the snapshot.
    await sleep(3 * POLL_SNAPSHOT_MS);
    const queued = await pollAll(ids.slice(3));
    expect(queued.map((body) => [body.status, body.position])).toEqual([
      ['queued', 1],
      ['queued', 2],
    ]);
  });

  it('takes the slow path for an id without a valid ticket, and answers with the canonical id', async () => {
    const eventId = await svc.http.createEvent('fast-ticket', { capacity: 10, state: 'paused' });
    const [id] = await joinMany(eventId, 1, 'ticket');
    const [eventPart, memberPart, ticket] = id.split('~');
    const tampered = `${eventPart}~${memberPart}~${ticket.slice(0, 3)}${ticket[3] === 'A' ? 'B' : 'A'}${ticket.slice(4)}`;
    const before = { ...polls.stats };
    for (const variant of [tampered, `${eventPart}~${memberPart}`]) {
      const response = await svc.http.session(variant);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ session_id: id, user_id: 'ticket-0', position: 1 });
    }
    expect(polls.stats.answered - before.answered).toBe(0);
    // A ticket bound to another session does not pass either: the mac covers event and member.
    const [other] = await joinMany(eventId, 1, 'other');
    const borrowed = `${eventPart}~${member(other)}~${ticket}`;
    expect((await svc.http.session(borrowed)).body).toMatchObject({ session_id: other, user_id: 'other-0' });
    expect(polls.stats.answered - before.answered).toBe(0);
    expect((await svc.http.session(`${eventPart}~${memberPart}~x.y`)).status).toBe(404);
  });

  it('keeps polled people from being abandoned with a few batched heartbeats', async () => {
    // idle_timeout_seconds 10: a heartbeat at least every 10/3 s, one call for everyone polled.
    const eventId = await svc.http.createEvent('fast-idle', {
      capacity: 10,
      state: 'paused',
      idle_timeout_seconds: 10,
    });
    const ids = await joinMany(eventId, 100, 'idle');
    const heartbeatsBefore = snapshots.stats.heartbeatCalls;
    const deadline = Date.now() + 13_000;
    while (Date.now() < deadline) {
      const bodies = await pollAll(ids.slice(0, 50));
      expect(bodies.every((body) => body.status === 'queued')).toBe(true);
      await sleep(1000);
    }
    const heartbeatCalls = snapshots.stats.heartbeatCalls - heartbeatsBefore;
    expect(heartbeatCalls).toBeGreaterThanOrEqual(3);
    expect(heartbeatCalls).toBeLessThanOrEqual(6);
    // Those who polled are still queued; those who never did were abandoned.
    const stats = (await svc.http.stats(eventId)).body;
    expect(stats.queue_length).toBe(50);
    expect((await svc.http.session(ids[99])).body.status).toBe('abandoned');
  }, 30_000);
});
