import { request } from 'node:http';
import { JoinFastLane } from '../apps/waitroom/src/http/join-fast-lane';
import { startApp, type RunningApp } from './support/app-harness';
import { ADMIN_KEY } from './support/test-env';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * Issue 12: ordinary joins are answered before the framework (join-fast-lane.ts) with what the
 * framework route answers: status, body bytes and headers, errors included; every other join
 * reaches Fastify and Nest with its body intact.
 */
describe('the join fast lane', () => {
  let svc: RunningApp;
  let lane: JoinFastLane;
  let addresses = 0;

  beforeAll(async () => {
    // Joins are limited per address; the nearest proxy's X-Forwarded-For names it, so each request
    // below comes from an address of its own unless it names one.
    svc = await startApp({ env: { JOIN_RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY_HOPS: '1' } });
    lane = svc.app.get(JoinFastLane);
  });
  afterAll(async () => {
    await svc?.close();
  });

  /**
   * POSTs a join. `framed`: 'length' sends Content-Length (the lane's), 'chunked' sends the body
   * chunked, with no length (always the framework's), 'split' sends a length and the body in two
   * writes 30 ms apart.
   */
  function post(
    body: string | Buffer,
    options: { framed?: 'length' | 'chunked' | 'split'; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const framed = options.framed ?? 'length';
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-forwarded-for': `198.51.100.${(addresses++ % 250) + 1}`,
      ...options.headers,
    };
    if (framed === 'chunked') headers['transfer-encoding'] = 'chunked';
    else headers['content-length'] = String(bytes.length);
    return new Promise((resolve, reject) => {
      const req = request(`${svc.baseUrl}/api/v1/waitroom/join`, { method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.on('error', reject);
      if (framed === 'split') {
        req.write(bytes.subarray(0, 7));
        setTimeout(() => req.end(bytes.subarray(7)), 30);
      } else {
        req.end(bytes);
      }
    });
  }

  /** Headers that must match between the two paths (the date and the request id differ by nature). */
  const comparable = (answer: Answer) =>
    Object.fromEntries(
      Object.entries(answer.headers).filter(
        ([name]) => !['date', 'x-request-id', 'transfer-encoding', 'connection', 'keep-alive'].includes(name),
      ),
    );

  /** The same request through the lane and through the framework: both answers, and whether the lane took the first. */
  async function bothWays(body: string, headers: Record<string, string> = {}) {
    const before = lane.stats.answered;
    const viaLane = await post(body, { headers });
    const laneTook = lane.stats.answered - before === 1;
    const viaFramework = await post(body, { framed: 'chunked', headers });
    expect(lane.stats.answered - before).toBe(laneTook ? 1 : 0);
    return { viaLane, viaFramework, laneTook };
  }

  async function metricCount(status: number): Promise<number> {
    const text = (await svc.http.get('/metrics')).body as string;
    const prefix = `waitroom_http_request_duration_seconds_count{method="POST",route="/api/v1/waitroom/join",status_code="${status}"}`;
    const line = text.split('\n').find((l) => l.startsWith(prefix));
    return Number(line?.split(' ')[1] ?? 0);
  }

  it('answers an ordinary join with the framework route’s status, body bytes, headers and metrics', async () => {
    const eventId = await svc.http.createEvent('lane-join', { capacity: 10, state: 'paused' });
    const body = JSON.stringify({ user_id: 'lane-user', event_id: eventId });
    const created = await post(body, { headers: { 'x-request-id': 'join-lane-1' } });
    expect(created.status).toBe(201);
    expect(created.headers['x-request-id']).toBe('join-lane-1');
    const session = JSON.parse(created.text) as { session_id: string; status: string };
    expect(session.status).toBe('queued');
    // The id is the ticketed one GET answers in the poll fast lane.
    expect(session.session_id.split('~')).toHaveLength(3);
    expect((await svc.http.session(session.session_id)).body.session_id).toBe(session.session_id);

    const count200 = await metricCount(200);
    const { viaLane, viaFramework, laneTook } = await bothWays(body);
    expect(laneTook).toBe(true);
    expect(viaLane.status).toBe(200);
    expect(viaFramework.status).toBe(200);
    expect(viaLane.text).toBe(viaFramework.text);
    expect(comparable(viaLane)).toEqual(comparable(viaFramework));
    expect(viaFramework.headers['x-request-id']).toEqual(expect.any(String));
    expect(await metricCount(200)).toBe(count200 + 2);
  });

  it('answers refused joins as the framework does: unknown event, closed event, priority without a key, missing proof', async () => {
    const closed = await svc.http.createEvent('lane-closed', { capacity: 1, state: 'closed' });
    const guarded = await svc.http.createEvent('lane-pow', {
      capacity: 1,
      state: 'open',
      bot_check: 'proof_of_work',
    });
    const cases: [string, number, string][] = [
      [JSON.stringify({ user_id: 'u1', event_id: 'no-such-event' }), 404, 'EVENT_NOT_FOUND'],
      [JSON.stringify({ user_id: 'u1', event_id: closed }), 409, 'EVENT_CLOSED'],
      [JSON.stringify({ user_id: 'u1', event_id: closed, priority: 3 }), 403, 'PRIORITY_NOT_ALLOWED'],
      [JSON.stringify({ user_id: 'u1', event_id: guarded }), 403, 'PROOF_REQUIRED'],
      [JSON.stringify({ user_id: 'u1', event_id: guarded, altcha: 'AAAA' }), 403, 'PROOF_INVALID'],
    ];
    for (const [body, status, code] of cases) {
      const { viaLane, viaFramework, laneTook } = await bothWays(body);
      expect(laneTook).toBe(true);
      expect(viaLane.status).toBe(status);
      expect(JSON.parse(viaLane.text).code).toBe(code);
      expect(viaLane.text).toBe(viaFramework.text);
      expect(comparable(viaLane)).toEqual(comparable(viaFramework));
    }
  });

  it('answers 429 with Retry-After as the framework does', async () => {
    const eventId = await svc.http.createEvent('lane-limit', { capacity: 10, state: 'paused' });
    // Three joins a minute from one address (the client's, as the trusted proxy names it).
    const from = { 'x-forwarded-for': '203.0.113.9' };
    const answers: Answer[] = [];
    for (let i = 0; i < 4; i++)
      answers.push(
        await post(JSON.stringify({ user_id: `limited-${i}`, event_id: eventId }), { headers: from }),
      );
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 429]);
    const viaLane = answers[3];
    const viaFramework = await post(JSON.stringify({ user_id: 'limited-x', event_id: eventId }), {
      framed: 'chunked',
      headers: from,
    });
    // Another address is not limited.
    expect((await post(JSON.stringify({ user_id: 'limited-y', event_id: eventId }))).status).toBe(201);
    expect(viaFramework.status).toBe(429);
    expect(Number(viaLane.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(viaLane.text).code).toBe('RATE_LIMITED');
    expect(viaLane.text).toBe(viaFramework.text);
    // Retry-After counts down the same window: it may differ by a second between the two.
    const withoutRetry = (answer: Answer) => ({ ...comparable(answer), 'retry-after': undefined });
    expect(withoutRetry(viaLane)).toEqual(withoutRetry(viaFramework));
  });

  it('hands every other join to the framework with its body intact', async () => {
    const eventId = await svc.http.createEvent('lane-other', { capacity: 10, state: 'paused' });
    const before = { ...lane.stats };
    // Not JSON; not the schema (a missing and an unknown field, a number as text); a prototype key.
    const invalid: [string, string][] = [
      ['{"user_id": "x", "event_id": ', 'VALIDATION_FAILED'],
      [JSON.stringify({ event_id: eventId, colour: 'red', priority: '1' }), 'VALIDATION_FAILED'],
      [`{"user_id":"p","event_id":"${eventId}","__proto__":{"x":1}}`, 'VALIDATION_FAILED'],
    ];
    for (const [body, code] of invalid) {
      const { viaLane, viaFramework, laneTook } = await bothWays(body);
      expect(laneTook).toBe(false);
      expect(viaLane.status).toBe(400);
      expect(JSON.parse(viaLane.text).code).toBe(code);
      expect(viaLane.text).toBe(viaFramework.text);
    }
    expect(JSON.parse((await post(invalid[1][0])).text).errors.length).toBeGreaterThanOrEqual(3);
    expect(JSON.parse((await post(invalid[2][0])).text).errors).toEqual([
      'property __proto__ should not exist',
    ]);
    // A byte-order mark: not the lane's JSON, the framework's parser strips it and joins.
    const bom = await post(`\uFEFF${JSON.stringify({ user_id: 'bom', event_id: eventId })}`);
    expect(bom.status).toBe(201);
    // Not JSON at all.
    const plain = await post('user_id=x', { headers: { 'content-type': 'text/plain' } });
    expect(plain.status).toBe(415);
    // A trusted caller, with a priority only it may give.
    const trusted = await post(JSON.stringify({ user_id: 'vip', event_id: eventId, priority: 2 }), {
      headers: { 'x-api-key': ADMIN_KEY },
    });
    expect(trusted.status).toBe(201);
    expect(JSON.parse(trusted.text).priority).toBe(2);
    expect(lane.stats.answered).toBe(before.answered);
    // The three invalid bodies (twice for the last two) and the byte-order mark.
    expect(lane.stats.handedOn).toBe(before.handedOn + 6);
  });

  it('reads a body that arrives in several pieces', async () => {
    const eventId = await svc.http.createEvent('lane-split', { capacity: 10, state: 'paused' });
    const before = lane.stats.answered;
    const answer = await post(JSON.stringify({ user_id: 'slow-writer', event_id: eventId }), {
      framed: 'split',
    });
    expect(answer.status).toBe(201);
    expect(lane.stats.answered).toBe(before + 1);
    // And a body handed on after arriving in pieces is still read whole by the framework.
    const invalid = await post(JSON.stringify({ user_id: 'slow-writer', event_id: eventId, x: 1 }), {
      framed: 'split',
    });
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.text).errors).toEqual(['property x should not exist']);
  });
});
