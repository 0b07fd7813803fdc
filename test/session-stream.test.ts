import { EventSnapshots } from '../apps/waitroom/src/live/event-snapshots';
import { SessionStreamService } from '../apps/waitroom/src/live/session-stream.service';
import { eventually, SessionStream, startApp, type RunningApp } from './support/app-harness';

/**
 * Issue 11: live streams follow positions from one progress snapshot per event and tick, read a
 * session directly only when its own status may have changed, and batch the heartbeats.
 */
describe('session streams', () => {
  let svc: RunningApp;
  let streams: SessionStreamService;
  let snapshots: EventSnapshots;
  const readers: SessionStream[] = [];

  beforeAll(async () => {
    svc = await startApp({ env: { STREAM_TICK_MS: '200', ADMISSION_TICK_MS: '50' } });
    streams = svc.app.get(SessionStreamService);
    snapshots = svc.app.get(EventSnapshots);
  });
  afterAll(async () => {
    for (const reader of readers) reader.close();
    await svc?.close();
  });

  const joinMany = (eventId: string, count: number, label: string) =>
    svc.http.joinMany(eventId, count, label);

  it('gives every stream its exact position (= GET) as people leave and others are admitted, then ready', async () => {
    const eventId = await svc.http.createEvent('sse-pos', { capacity: 1, state: 'paused' });
    // 600 people: three flow buckets; streams in several of them.
    const ids = await joinMany(eventId, 600, 'p');
    const watched = [20, 300, 599].map((i) => ids[i]);
    const watchedReaders = await Promise.all(watched.map((id) => SessionStream.open(svc.baseUrl, id)));
    readers.push(...watchedReaders);
    await eventually(
      async () => watchedReaders.map((r) => r.last?.position),
      (positions) => positions.join() === '21,301,600',
    );

    // Departures ahead of some, behind others, and in a watched person's own bucket.
    for (const i of [0, 5, 100, 280, 290, 450, 598]) await svc.http.leave(ids[i]);
    const expected = async () =>
      Promise.all(watched.map(async (id) => (await svc.http.session(id)).body.position as number));
    const truth = await expected();
    expect(truth).toEqual([19, 296, 593]);
    await eventually(
      async () => watchedReaders.map((r) => r.last?.position),
      (positions) => positions.join() === truth.join(),
    );

    // Admissions: capacity 1, then 30, and the first watched person becomes ready.
    await svc.http.upsertEvent(eventId, { capacity: 30, state: 'open' });
    await eventually(
      async () => watchedReaders[0].last?.status,
      (status) => status === 'ready',
      20000,
    );
    // Every position a stream sent was the true position at some moment: it never went up.
    for (const reader of watchedReaders) {
      const positions = reader.bodies.map((b) => b.position).filter((p): p is number => p !== null);
      for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeLessThanOrEqual(positions[i - 1]);
    }
    const now = await expected();
    await eventually(
      async () => watchedReaders.slice(1).map((r) => r.last?.position),
      (positions) => positions.join() === now.slice(1).join(),
    );
  });

  it('shows ready when the admission that passed its bucket also folded it (a departure counted in its base)', async () => {
    const eventId = await svc.http.createEvent('sse-fold', { capacity: 10, state: 'paused' });
    const ids = await joinMany(eventId, 300, 'f');
    // A departure in the first bucket (arrivals 1-255), before the stream's first read: its base
    // counts one departure in its own bucket.
    expect((await svc.http.leave(ids[100])).status).toBe(200);
    const reader = await SessionStream.open(svc.baseUrl, ids[50]);
    readers.push(reader);
    await eventually(
      async () => reader.last,
      (body) => body?.status === 'queued' && body.position === 51,
    );
    // One admission step admits 260 and folds the first bucket, which the head has passed.
    await svc.http.upsertEvent(eventId, { capacity: 260, state: 'open' });
    await eventually(
      async () => reader.last?.status,
      (status) => status === 'ready',
      5000,
    );
    // Closed here: the next test counts the snapshots of the events still streamed.
    reader.close();
  });

  it('reads one snapshot per event per tick, whatever the number of streams', async () => {
    const eventId = await svc.http.createEvent('sse-cost', { capacity: 1, state: 'paused' });
    const ids = await joinMany(eventId, 200, 'c');
    const many = await Promise.all(ids.map((id) => SessionStream.open(svc.baseUrl, id)));
    readers.push(...many);
    await eventually(
      async () => many.filter((r) => r.last !== undefined).length,
      (count) => count === 200,
    );
    const before = { ...streams.stats, ...snapshots.stats };
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = { ...streams.stats, ...snapshots.stats };
    const ticks = 2000 / 200;
    // This event plus at most the first test's still-open event: two snapshots per tick.
    expect(after.snapshots - before.snapshots).toBeLessThanOrEqual(2 * (ticks + 2));
    // Nothing changed for them: no direct reads.
    expect(after.directReads - before.directReads).toBe(0);
    for (const reader of many) reader.close();
  });

  it('keeps streamed people from being abandoned with one heartbeat call per event, not per stream', async () => {
    const eventId = await svc.http.createEvent('sse-idle', {
      capacity: 1,
      state: 'paused',
      idle_timeout_seconds: 10,
    });
    const ids = await joinMany(eventId, 40, 'h');
    const streamed = await Promise.all(ids.slice(0, 20).map((id) => SessionStream.open(svc.baseUrl, id)));
    readers.push(...streamed);
    const calls = snapshots.stats.heartbeatCalls;
    // The other 20 stop polling: after the idle timeout they are abandoned, the streamed ones stay.
    // (Watched through the stats: a GET of a session would be its heartbeat.)
    await eventually(
      () => svc.http.stats(eventId),
      (r) => r.body.queue_length === 20,
      25000,
      500,
    );
    for (const id of ids.slice(0, 20)) expect((await svc.http.session(id)).body.status).toBe('queued');
    // A poll answers from the event's snapshot, which may be one refresh behind the stats read
    // above (POLL_SNAPSHOT_MS, twice at most): the abandonment shows within that.
    for (const id of ids.slice(20))
      expect((await svc.http.waitForStatus(id, 'abandoned', 2000)).body.status).toBe('abandoned');
    // About one call per idle_timeout/3 for the whole event (not 20 streams x 5 ticks a second).
    expect(snapshots.stats.heartbeatCalls - calls).toBeLessThanOrEqual(10);
  });
});
