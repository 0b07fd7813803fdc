import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { readEventMessages, verifyDraw, verifyEventDraw, type DrawEvidence } from '../scripts/verify-draw';
import { drawNumber, preOpenScore } from '../apps/waitroom/src/queue/queue-order';
import { eventually, startApp, type RunningApp } from './support/app-harness';
import { ADMIN_KEY, TEST_KAFKA_BROKERS, TEST_REDIS_URL } from './support/test-env';

/**
 * Issue 13, "An auditable draw": the pre-queue of a shuffle_at_open event is ordered by a
 * committed seed, revealed at opening, and scripts/verify-draw.ts recomputes the order from
 * /draw and the real QUEUE_JOINED / QUEUE_READY / QUEUE_LEFT on the broker.
 */
const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const brokers = TEST_KAFKA_BROKERS.split(',');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]);
      }
    }),
  );
  return results;
}

describe('the draw function: Lua (real Redis EVAL) and its TypeScript twin agree', () => {
  it('gives the same draw and pre-open score for the same seed and user id', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const include = readFileSync(
        join(ROOT, 'apps/waitroom/src/redis/scripts/includes/queue-order.lua'),
        'utf8',
      );
      const script = `${include}
        return {draw_number(ARGV[1], ARGV[2]), pre_open_score(tonumber(ARGV[3]), ARGV[1], ARGV[2])}`;
      const users = [
        '',
        'a',
        'Zoë 🎟',
        'x'.repeat(128),
        'with\u0000nul',
        ...Array.from({ length: 200 }, () => randomBytes(1 + (randomBytes(1)[0] % 40)).toString('base64')),
      ];
      for (const [i, user] of users.entries()) {
        const seed = randomBytes(16).toString('hex');
        const priority = i % 10;
        const [draw, score] = (await redis.eval(script, 0, seed, user, priority)) as [number, number];
        expect(draw).toBe(drawNumber(seed, user));
        expect(score).toBe(preOpenScore(priority, drawNumber(seed, user)));
      }
    } finally {
      redis.disconnect();
    }
  });
});

describe('GET /events/:id/draw and the verifier, on a real run of 1,000 pre-queue joins', () => {
  let svc: RunningApp;
  const admin = { 'x-api-key': ADMIN_KEY };

  beforeAll(async () => {
    svc = await startApp();
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('is 404 for an unknown event and for an event without shuffle_at_open', async () => {
    expect((await svc.http.get('/api/v1/waitroom/events/no-such-event/draw')).status).toBe(404);
    const plain = await svc.http.createEvent('draw-plain', {
      capacity: 1,
      opens_at: new Date(Date.now() + 60_000).toISOString(),
    });
    const response = await svc.http.get(`/api/v1/waitroom/events/${plain}/draw`);
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('EVENT_NOT_FOUND');
  });

  it('commits before opening, reveals at opening, and the verifier agrees with the admissions', async () => {
    const config = {
      capacity: 5000,
      admission_rate_per_minute: 12_000,
      checkout_timeout_seconds: 600,
      shuffle_at_open: true,
      opens_at: new Date(Date.now() + 120_000).toISOString(),
    };
    const eventId = await svc.http.createEvent('draw', config);
    const drawPath = `/api/v1/waitroom/events/${eventId}/draw`;

    // 1,000 joins before opening, 50 of them by a trusted gateway at priority 2.
    const users = Array.from({ length: 1000 }, (_, i) => `draw-user-${i}`);
    const joined = await pool(users, 12, async (user) => {
      const vip = Number(user.slice('draw-user-'.length)) % 20 === 0;
      const response = await svc.http.join(user, eventId, vip ? 2 : undefined, vip ? admin : undefined);
      expect(response.status).toBe(201);
      return response.body as { session_id: string; user_id: string; priority: number };
    });

    const before = await svc.http.get(drawPath);
    expect(before.status).toBe(200);
    expect(Object.keys(before.body).sort()).toEqual(['event_id', 'opens_at', 'seed_commitment']);
    expect(before.body.seed_commitment).toMatch(/^[0-9a-f]{64}$/);
    const commitment = before.body.seed_commitment as string;

    // The draw's inputs are fixed once people have joined.
    const refused = await svc.http.upsertEvent(eventId, { ...config, shuffle_at_open: false });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('DRAW_FIXED');
    const intoThePast = await svc.http.upsertEvent(eventId, {
      ...config,
      opens_at: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(intoThePast.status).toBe(409);

    // 40 leave before opening (the verifier skips them).
    const leavers = joined.filter((_, i) => i % 25 === 7);
    for (const session of leavers) expect((await svc.http.leave(session.session_id)).status).toBe(200);

    // The operator brings the opening forward to a moment from now: allowed, still in the future.
    const opensAt = new Date(Date.now() + 1500).toISOString();
    const moved = await svc.http.upsertEvent(eventId, { ...config, opens_at: opensAt });
    expect(moved.status).toBe(200);
    expect((await svc.http.get(drawPath)).body).toEqual({
      event_id: eventId,
      opens_at: opensAt,
      seed_commitment: commitment,
    });

    await sleep(Math.max(0, Date.parse(opensAt) - Date.now() + 100));
    const after = await svc.http.get(drawPath);
    expect(after.body).toMatchObject({ event_id: eventId, opens_at: opensAt, seed_commitment: commitment });
    expect(createHash('sha256').update(after.body.seed).digest('hex')).toBe(commitment);
    expect(after.body.algorithm).toContain('sha1(seed || 0x00 || user_id)');
    // Once open and public, the opening cannot move (a new pre-queue would be ordered by a known seed).
    const reopened = await svc.http.upsertEvent(eventId, {
      ...config,
      opens_at: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(reopened.status).toBe(409);
    expect(reopened.body.code).toBe('DRAW_FIXED');

    // Late arrivals queue behind the pre-queue (the verifier ignores them).
    for (let i = 0; i < 10; i++) expect((await svc.http.join(`draw-late-${i}`, eventId)).status).toBe(201);
    await eventually(
      () => svc.http.stats(eventId),
      (r) => r.body.admitted_total === 1000 - leavers.length + 10,
      60_000,
      250,
    );

    // The verifier, as a function, against the real broker (waiting until the relay published all).
    // A mismatch (exit 1) ends the wait at once; "cannot verify" (exit 2: the broker or the service
    // did not answer this time) is asked again, and is still a failure if it lasts.
    const expectedAdmitted = 1000 - leavers.length;
    const verdict = await eventually(
      () => verifyEventDraw({ waitroomUrl: svc.baseUrl, brokers, eventId, timeoutMs: 60_000 }),
      (v) => v.exitCode === 1 || (v.exitCode === 0 && v.admitted === expectedAdmitted),
      60_000,
      500,
    );
    // The summary first: when the verifier cannot verify, it says why (the counts alone do not).
    expect(verdict.summary).toMatch(/^OK: /);
    expect(verdict).toMatchObject({ exitCode: 0, preQueue: 1000, admitted: expectedAdmitted });
    expect(verdict.details.join('\n')).toContain(`${leavers.length} left before their turn, 0 still waiting`);

    // ... and as the CLI that `make verify-draw` runs.
    const cli = await run('npx', ['ts-node', '--transpile-only', 'scripts/verify-draw.ts', eventId], {
      cwd: ROOT,
      env: { ...process.env, WAITROOM_URL: svc.baseUrl, KAFKA_BROKERS: TEST_KAFKA_BROKERS },
      timeout: 120_000,
    });
    expect(cli.stdout).toMatch(/^OK: /);

    // Tampering is detected, on the same real evidence.
    const messages = await readEventMessages({ brokers, eventId, timeoutMs: 60_000 });
    const evidence: DrawEvidence = { draw: after.body, ...messages };
    expect(verifyDraw(evidence).exitCode).toBe(0);

    const preQueueIds = new Set(joined.map((s) => s.session_id));
    const admittedPre = messages.ready.filter((r) => preQueueIds.has(r.session_id));
    // The pre-queue went first, VIPs (priority 2) at the head.
    const vipIds = new Set(joined.filter((s) => s.priority === 2).map((s) => s.session_id));
    expect(admittedPre.slice(0, vipIds.size).every((r) => vipIds.has(r.session_id))).toBe(true);

    // Two admissions swapped: the one drawn 601st admitted when the 101st was, and the other way
    // round (admission order is admitted_at: one step's people share one instant).
    const swapped = [...messages.ready];
    const a = swapped.indexOf(admittedPre[100]);
    const b = swapped.indexOf(admittedPre[600]);
    swapped[a] = { ...admittedPre[600], admitted_at: admittedPre[100].admitted_at };
    swapped[b] = { ...admittedPre[100], admitted_at: admittedPre[600].admitted_at };
    const swapVerdict = verifyDraw({ ...evidence, ready: swapped });
    expect(swapVerdict.exitCode).toBe(1);
    expect(swapVerdict.summary).toContain('place 101 of the pre-queue');
    expect(swapVerdict.details.join('\n')).toContain(admittedPre[100].session_id);

    // Somebody passed over: an admission dropped, as if that person were still waiting.
    const dropped = verifyDraw({ ...evidence, ready: messages.ready.filter((r) => r !== admittedPre[3]) });
    expect(dropped.exitCode).toBe(1);
    expect(dropped.summary).toContain(`session ${admittedPre[3].session_id}`);
    expect(dropped.summary).toContain('passed over');

    // A seed other than the committed one.
    const wrongSeed = verifyDraw({
      ...evidence,
      draw: { ...after.body, seed: randomBytes(16).toString('hex') },
    });
    expect(wrongSeed.exitCode).toBe(1);
    expect(wrongSeed.summary).toContain('does not match the commitment');

    // A seed that matched its commitment but is not the one that ordered the queue.
    const otherSeed = randomBytes(16).toString('hex');
    const reordered = verifyDraw({
      ...evidence,
      draw: {
        ...after.body,
        seed: otherSeed,
        seed_commitment: createHash('sha256').update(otherSeed).digest('hex'),
      },
    });
    expect(reordered.exitCode).toBe(1);
    expect(reordered.summary).toMatch(/^MISMATCH: place \d+ of the pre-queue/);
  }, 240_000);

  it('cannot verify (exit 2) an event without a draw, or before opening', async () => {
    const cli = await run('npx', ['ts-node', '--transpile-only', 'scripts/verify-draw.ts', 'no-such-event'], {
      cwd: ROOT,
      env: { ...process.env, WAITROOM_URL: svc.baseUrl, KAFKA_BROKERS: TEST_KAFKA_BROKERS },
      timeout: 120_000,
    }).catch((error: { code: number; stdout: string }) => error);
    expect(cli).toMatchObject({ code: 2 });
    expect((cli as { stdout: string }).stdout).toMatch(/^CANNOT VERIFY: no draw for no-such-event/);

    const eventId = await svc.http.createEvent('draw-later', {
      capacity: 1,
      shuffle_at_open: true,
      opens_at: new Date(Date.now() + 60_000).toISOString(),
    });
    const verdict = await verifyEventDraw({ waitroomUrl: svc.baseUrl, brokers, eventId });
    expect(verdict.exitCode).toBe(2);
    expect(verdict.summary).toContain('not revealed yet');
  }, 120_000);
});
