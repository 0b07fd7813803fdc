import { eventually, SessionStream, startApp, type RunningApp } from './support/app-harness';
import { ADMIN_KEY } from './support/test-env';

/**
 * Issue 13, "Position never goes up": between two answers for the same session (GET and the
 * live stream), a queued person's place only falls, as people ahead leave or are admitted,
 * whatever joins and leaves around it; the one exception is someone landing ahead (a higher
 * priority, or before a shuffled opening a draw ahead), which the waiting page explains.
 */
/** The places where a list of positions went up: [index, before, after]. */
function rises(positions: number[]): [number, number, number][] {
  const found: [number, number, number][] = [];
  for (let i = 1; i < positions.length; i++) {
    if (positions[i] > positions[i - 1]) found.push([i, positions[i - 1], positions[i]]);
  }
  return found;
}

/** Polls read this instance's event snapshot, refreshed this often (session-polls.service.ts). */
const POLL_SNAPSHOT_MS = 100;

describe('a queued position never goes up under churn, except when a priority guest lands ahead', () => {
  let svc: RunningApp;
  const streams: SessionStream[] = [];

  beforeAll(async () => {
    svc = await startApp({
      env: { ADMISSION_TICK_MS: '50', STREAM_TICK_MS: '200', POLL_SNAPSHOT_MS: String(POLL_SNAPSHOT_MS) },
    });
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await svc?.close();
  });

  it('holds for GET and the stream through joins, leaves and admissions; a priority join is the one rise', async () => {
    // 4 admissions a second: the head moves while the watched people stay queued.
    const config = { capacity: 10_000, admission_rate_per_minute: 240, checkout_timeout_seconds: 600 };
    const eventId = await svc.http.createEvent('monotone', { ...config, state: 'paused' });
    const base: string[] = [];
    for (let i = 0; i < 120; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, j) => svc.http.join(`base-${i + j}`, eventId)),
      );
      base.push(...batch.map((r) => r.body.session_id as string));
    }
    const watched = [60, 80, 100, 119].map((i) => base[i]);
    streams.push(...(await Promise.all(watched.map((id) => SessionStream.open(svc.baseUrl, id)))));
    await svc.http.upsertEvent(eventId, { ...config, state: 'open' });

    // Churn for about 6 s: joins at priority 0 (behind everyone), leaves ahead of and behind the
    // watched people, re-joins of those who left (at the back), admissions at the head.
    const polled: number[][] = watched.map(() => []);
    const poll = async () => {
      const bodies = await Promise.all(watched.map((id) => svc.http.session(id)));
      bodies.forEach((r, i) => {
        if (r.body.status === 'queued') polled[i].push(r.body.position as number);
      });
    };
    const leavers = base.filter((_, i) => !watched.includes(base[i]) && i % 3 === 1);
    const deadline = Date.now() + 6000;
    let joined = 0;
    let left = 0;
    while (Date.now() < deadline) {
      const actions: Promise<unknown>[] = [poll()];
      for (let k = 0; k < 3; k++) actions.push(svc.http.join(`churn-${joined++}`, eventId));
      const leaver = leavers[left++];
      if (leaver) actions.push(svc.http.leave(leaver));
      // Someone who left two rounds ago comes back: a new place at the back.
      if (left % 5 === 0) actions.push(svc.http.join(`base-${3 * (left - 2) + 1}`, eventId));
      await Promise.all(actions);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await poll();

    const stats = (await svc.http.stats(eventId)).body;
    expect(stats.admitted_total).toBeGreaterThanOrEqual(10);
    expect(left).toBeGreaterThanOrEqual(30);
    for (const [i, positions] of polled.entries()) {
      expect(positions.length).toBeGreaterThan(50);
      expect({ session: watched[i], rises: rises(positions) }).toEqual({ session: watched[i], rises: [] });
      // It really moved: people ahead left and were admitted.
      expect(positions[positions.length - 1]).toBeLessThan(positions[0]);
    }
    for (const stream of streams) {
      expect(stream.queuedPositions.length).toBeGreaterThan(2);
      expect(rises(stream.queuedPositions)).toEqual([]);
    }

    // Now a trusted gateway brings a priority-5 guest: everyone still queued moves back one place.
    await svc.http.upsertEvent(eventId, { ...config, state: 'paused' });
    // Polls are answered from a snapshot refreshed every POLL_SNAPSHOT_MS: once two refreshes
    // have passed, every poll shows the paused queue.
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_SNAPSHOT_MS));
    const still = (await Promise.all(watched.map((id) => svc.http.session(id)))).map((r) => r.body);
    expect(still.every((body) => body.status === 'queued')).toBe(true);
    // The streams caught up with the paused queue first (else a rise could fall within one tick).
    await eventually(
      async () => streams.map((s) => s.queuedPositions[s.queuedPositions.length - 1]),
      (positions) => positions.join() === still.map((body) => body.position).join(),
    );
    const vip = await svc.http.join('vip-guest', eventId, 5, { 'x-api-key': ADMIN_KEY });
    expect(vip.status).toBe(201);
    expect(vip.body.position).toBe(1);
    // Within a snapshot refresh, every poll shows the guest ahead: one place back, no more.
    const expected = still.map((body) => (body.position as number) + 1).join();
    const after = await eventually(
      async () => (await Promise.all(watched.map((id) => svc.http.session(id)))).map((r) => r.body),
      (bodies) => bodies.map((body) => body.position).join() === expected,
      10 * POLL_SNAPSHOT_MS,
    );
    // The streams show the same single rise.
    await eventually(
      async () => streams.map((s) => s.queuedPositions[s.queuedPositions.length - 1]),
      (positions) => positions.join() === after.map((body) => body.position).join(),
    );
    for (const stream of streams) expect(rises(stream.queuedPositions)).toHaveLength(1);
  }, 90_000);
});
