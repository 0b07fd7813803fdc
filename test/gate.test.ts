import { Topics } from '@waitroom/contracts';
import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import type { Producer } from 'kafkajs';
import { GateFastLane } from '../apps/waitroom/src/gate/gate-fast-lane';
import { EventSnapshots } from '../apps/waitroom/src/live/event-snapshots';
import { eventually, startApp, type HttpResponse, type RunningApp } from './support/app-harness';
import { sendCheckoutOutcome, testProducer } from './support/kafka';
import { monitorRedis } from './support/redis-monitor';
import { ADMIN_KEY, TEST_REDIS_URL } from './support/test-env';

/** The gate's snapshot is refreshed this often while checks come. */
const POLL_SNAPSHOT_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Issue 24 item 1: GET /api/v1/waitroom/gate/:event_id, the check a reverse proxy makes for each
 * request to a protected site (CONTRACT.md "Gate"): 204 with a pass, 401 with Location to the
 * waiting page otherwise; a pass stops within 2 s of its checkout ending; no Redis read per check.
 */
describe('the gate endpoint', () => {
  let svc: RunningApp;
  let producer: Producer;
  let snapshots: EventSnapshots;

  beforeAll(async () => {
    svc = await startApp({ consumer: true, env: { POLL_SNAPSHOT_MS: String(POLL_SNAPSHOT_MS) } });
    producer = await testProducer();
    snapshots = svc.app.get(EventSnapshots);
  });
  afterAll(async () => {
    await producer?.disconnect();
    await svc?.close();
  });

  const gate = (eventId: string, headers: Record<string, string> = {}) =>
    svc.http.get(`/api/v1/waitroom/gate/${encodeURIComponent(eventId)}`, headers);
  const withCookie = (eventId: string, token: string, url = 'https://shop.example.com/cart') =>
    gate(eventId, { 'x-original-url': url, cookie: `other=1; waitroom_pass=${token}` });

  /** A new open event and one admitted session of it: its id and admission token. */
  async function admitted(label: string, config: Record<string, unknown> = {}) {
    const eventId = await svc.http.createEvent(label, {
      capacity: 5,
      checkout_timeout_seconds: 300,
      ...config,
    });
    const joined = await svc.http.join(`${label}-user`, eventId);
    const ready = await svc.http.waitForStatus(joined.body.session_id as string, 'ready');
    return {
      eventId,
      sessionId: joined.body.session_id as string,
      token: ready.body.admission_token as string,
      expiresAt: ready.body.expires_at as string,
    };
  }

  /** Checks until the gate refuses the pass; how long that took (ms). */
  async function msUntilRefused(eventId: string, token: string, since: number): Promise<number> {
    await eventually(
      () => withCookie(eventId, token),
      (response) => response.status === 401,
      5000,
      20,
    );
    return Date.now() - since;
  }

  function expectRefusal(response: HttpResponse, eventId: string, returnTo: string | null) {
    expect(response.status).toBe(401);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('set-cookie')).toBeNull();
    const page = `/waitroom/${encodeURIComponent(eventId)}`;
    expect(response.headers.get('location')).toBe(
      returnTo === null ? page : `${page}?return_to=${encodeURIComponent(returnTo)}`,
    );
    expect(response.body).toEqual({
      status: 401,
      code: 'PASS_REQUIRED',
      message: expect.any(String),
    });
  }

  it('without a pass: 401 with Location to the waiting page and return_to = the original URL', async () => {
    const eventId = await svc.http.createEvent('gate-none', { capacity: 1 });
    const url = 'https://shop.example.com/checkout/cart?item=42&size=m#top';
    expectRefusal(
      await gate(eventId, { 'x-original-url': url }),
      eventId,
      'https://shop.example.com/checkout/cart?item=42&size=m#top',
    );

    // The original URL in parts, as Traefik's forwardAuth passes it.
    expectRefusal(
      await gate(eventId, {
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'shop.example.com',
        'x-forwarded-uri': '/checkout?x=1',
      }),
      eventId,
      'https://shop.example.com/checkout?x=1',
    );
    expectRefusal(
      await gate(eventId, {
        'x-forwarded-proto': 'http',
        'x-forwarded-host': 'localhost:8088',
        'x-original-uri': '/a%20b',
      }),
      eventId,
      'http://localhost:8088/a%20b',
    );
    // No original URL, or one that is no http(s) URL: still 401, without return_to.
    expectRefusal(await gate(eventId), eventId, null);
    for (const hostile of [
      'javascript:alert(1)',
      '//evil.example/x',
      'https://user:pw@shop.example.com/',
      'https://shop.example.com/%0d%0aSet-Cookie:%20x=1'.replace('%0d%0a', '\t'),
      `https://shop.example.com/${'a'.repeat(10_000)}`,
      'data:text/html,<script>alert(1)</script>',
    ])
      expectRefusal(await gate(eventId, { 'x-original-url': hostile }), eventId, null);
    expectRefusal(
      await gate(eventId, {
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil@shop',
        'x-forwarded-uri': '/',
      }),
      eventId,
      null,
    );
    // Garbage where the pass goes.
    for (const cookie of [
      'waitroom_pass=',
      'waitroom_pass=abc',
      'waitroom_pass=a.b.c',
      `waitroom_pass=${'x'.repeat(5000)}`,
    ])
      expectRefusal(await gate(eventId, { 'x-original-url': url, cookie }), eventId, url);
  });

  it('a token in the URL becomes the pass cookie (204 + Set-Cookie); the cookie then passes alone', async () => {
    const { eventId, token, expiresAt } = await admitted('gate-pass');
    const url = `https://shop.example.com/checkout?waitroom_token=${token}`;
    const first = await gate(eventId, { 'x-original-url': url });
    expect(first.status).toBe(204);
    expect(first.body).toBeNull();
    expect(first.headers.get('cache-control')).toBe('no-store');
    const cookie = first.headers.get('set-cookie')!;
    const expiresSeconds = Math.floor(Date.parse(expiresAt) / 1000);
    expect(cookie).toMatch(
      new RegExp(
        `^waitroom_pass=${token.replace(/[.-]/g, '\\$&')}; HttpOnly; SameSite=Lax; Path=/; ` +
          `Expires=${new Date(expiresSeconds * 1000).toUTCString()}; Max-Age=\\d+; Secure$`,
      ),
    );
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)![1]);
    expect(Math.abs(maxAge - (expiresSeconds - Date.now() / 1000))).toBeLessThan(3);

    // Plain http on localhost: no Secure (a developer's site would never get it back).
    const local = await gate(eventId, { 'x-original-url': `http://localhost:3000/?waitroom_token=${token}` });
    expect(local.status).toBe(204);
    expect(local.headers.get('set-cookie')).not.toMatch(/Secure/);
    // Plain http anywhere else: Secure.
    const remote = await gate(eventId, {
      'x-original-url': `http://shop.example.com/?waitroom_token=${token}`,
    });
    expect(remote.headers.get('set-cookie')).toMatch(/; Secure$/);

    const again = await withCookie(eventId, token);
    expect(again.status).toBe(204);
    expect(again.headers.get('set-cookie')).toBeNull();
    // Without any original URL the cookie still passes.
    expect((await gate(eventId, { cookie: `waitroom_pass=${token}` })).status).toBe(204);
  });

  it("refuses a forged token, another event's, and a token of an earlier event of the same id", async () => {
    const first = await admitted('gate-forged');
    const other = await admitted('gate-other');
    expectRefusal(
      await withCookie(first.eventId, other.token),
      first.eventId,
      'https://shop.example.com/cart',
    );
    expectRefusal(
      await gate(first.eventId, {
        'x-original-url': `https://shop.example.com/?waitroom_token=${other.token}`,
      }),
      first.eventId,
      `https://shop.example.com/?waitroom_token=${other.token}`,
    );

    // The same claims and kid, signed by a key of the forger's own.
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const payload = JSON.parse(Buffer.from(first.token.split('.')[1], 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const forged = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA', kid: decodeProtectedHeader(first.token).kid, typ: 'JWT' })
      .sign(privateKey);
    expect((await withCookie(first.eventId, forged)).status).toBe(401);
    // alg none, and a signature cut off.
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${first.token.split('.')[1]}.`;
    expect((await withCookie(first.eventId, none)).status).toBe(401);
    expect((await withCookie(first.eventId, first.token.slice(0, -4))).status).toBe(401);
    // HS256 keyed with the public key's bytes.
    const jwks = (await svc.http.get('/.well-known/jwks.json')).body as { keys: { x: string }[] };
    const hs = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(Buffer.from(jwks.keys[0].x, 'base64url'));
    expect((await withCookie(first.eventId, hs)).status).toBe(401);
    expect((await withCookie(first.eventId, first.token)).status).toBe(204);

    // Removed and created again under the same id: the earlier event's pass does not open the new one.
    await svc.http.upsertEvent(first.eventId, { capacity: 5, state: 'closed' });
    expect(
      (await svc.http.delete(`/api/v1/waitroom/admin/events/${first.eventId}`, { 'x-api-key': ADMIN_KEY }))
        .status,
    ).toBe(200);
    await sleep(1100); // iat has whole seconds
    expect((await svc.http.upsertEvent(first.eventId, { capacity: 5 })).status).toBe(201);
    await msUntilRefused(first.eventId, first.token, Date.now());
    expect((await gate(`${first.eventId}-x`, { cookie: `waitroom_pass=${first.token}` })).status).toBe(401);
  });

  it('a pass stops within 2 s of its checkout ending: completed, failed, expired (message), left', async () => {
    const eventId = await svc.http.createEvent('gate-end', { capacity: 10, checkout_timeout_seconds: 300 });
    const ids = await svc.http.joinMany(eventId, 4, 'ender');
    const tokens: string[] = [];
    for (const id of ids)
      tokens.push((await svc.http.waitForStatus(id, 'ready')).body.admission_token as string);
    for (const token of tokens) expect((await withCookie(eventId, token)).status).toBe(204);

    const ends: [number, () => Promise<unknown>][] = [
      [0, () => sendCheckoutOutcome(producer, Topics.CHECKOUT_COMPLETED, ids[0], eventId)],
      [1, () => sendCheckoutOutcome(producer, Topics.CHECKOUT_FAILED, ids[1], eventId)],
      [2, () => sendCheckoutOutcome(producer, Topics.CHECKOUT_EXPIRED, ids[2], eventId)],
      [3, () => svc.http.leave(ids[3])],
    ];
    const statuses = ['completed', 'failed', 'expired', 'left'];
    for (const [index, end] of ends) {
      await end();
      // From the moment the session's status shows the end (the consumer's delay is Kafka's, not the gate's).
      const ended = Date.now();
      await svc.http.waitForStatus(ids[index], statuses[index], 10_000);
      const took = await msUntilRefused(eventId, tokens[index], ended);
      expect(took).toBeLessThan(2000);
    }
    // The others' passes were not touched by these ends.
    const fresh = await svc.http.join('late', eventId);
    const lateToken = (await svc.http.waitForStatus(fresh.body.session_id as string, 'ready')).body
      .admission_token as string;
    expect((await withCookie(eventId, lateToken)).status).toBe(204);
  });

  it('a checkout window that runs out ends the pass too (the admission step expires it)', async () => {
    const { eventId, token, sessionId } = await admitted('gate-window', { checkout_timeout_seconds: 10 });
    expect((await withCookie(eventId, token)).status).toBe(204);
    await svc.http.waitForStatus(sessionId, 'expired', 15_000);
    // The token's own exp passed too, but the gate honours 5 s of clock skew: the end is what stops it.
    const took = await msUntilRefused(eventId, token, Date.now());
    expect(took).toBeLessThan(2000);
  }, 30_000);

  it('reads no Redis per check: the snapshot about once per refresh, whatever the number of checks', async () => {
    const { eventId, token } = await admitted('gate-steady');
    const queued = await svc.http.createEvent('gate-steady-q', { capacity: 1 });
    expect((await withCookie(eventId, token)).status).toBe(204); // the first check reads the snapshot
    expect((await gate(queued)).status).toBe(401);
    const before = snapshots.stats.snapshots;
    const lane = svc.app.get(GateFastLane);
    const answeredBefore = lane.stats.answered;
    const started = Date.now();
    const monitor = await monitorRedis(TEST_REDIS_URL);
    let answers: number[] = [];
    try {
      for (let round = 0; round < 10; round++) {
        const batch = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 ? withCookie(eventId, token) : gate(queued))),
        );
        answers = answers.concat(batch.map((response) => response.status));
      }
    } finally {
      await monitor.stop(svc.redis.client);
    }
    const elapsed = Date.now() - started;
    expect(answers.filter((status) => status === 204)).toHaveLength(250);
    expect(answers.filter((status) => status === 401)).toHaveLength(250);
    // All answered before the framework (the fast lane): the snapshots were fresh throughout.
    expect(lane.stats.answered - answeredBefore).toBe(500);
    const reads = snapshots.stats.snapshots - before;
    // Two events, each refreshed once per POLL_SNAPSHOT_MS at most (plus one in flight at each end).
    expect(reads).toBeLessThanOrEqual(2 * (Math.ceil(elapsed / POLL_SNAPSHOT_MS) + 2));
    // No command names the session: nothing per check.
    const sessionKey = `${svc.env.REDIS_KEY_PREFIX}{${eventId}}:s:`;
    expect(
      monitor.commands.filter((args) =>
        args.some((arg) => arg.startsWith(sessionKey) && arg.length > sessionKey.length),
      ),
    ).toEqual([]);
  });

  it('the fast lane answers as the framework does: same status, headers and body', async () => {
    const { eventId, token } = await admitted('gate-lane');
    const lane = svc.app.get(GateFastLane);
    const kept = (snapshots as unknown as { snapshots: Map<string, unknown> }).snapshots;
    const url = `https://shop.example.com/a?waitroom_token=${token}`;
    const shape = (response: HttpResponse) => {
      const headers = Object.fromEntries(
        [...response.headers.entries()].filter(
          ([name]) => !['date', 'x-request-id', 'connection', 'keep-alive'].includes(name),
        ),
      );
      // The pass's Max-Age counts down to its fixed expiry: two answers a second apart differ
      // by one there, and only there (the expiry itself is the same).
      const maxAge = /; Max-Age=(\d+)/.exec(headers['set-cookie'] ?? '');
      if (maxAge) headers['set-cookie'] = headers['set-cookie'].replace(maxAge[0], '; Max-Age=<n>');
      return {
        status: response.status,
        headers,
        body: response.body as unknown,
        maxAge: Number(maxAge?.[1] ?? 0),
      };
    };
    const answers = async () => [
      shape(await gate(eventId, { 'x-original-url': url })),
      shape(await gate(eventId, { 'x-original-url': 'https://shop.example.com/b' })),
    ];
    kept.delete(eventId); // cold: the framework answers (and reads the snapshot)
    let answered = lane.stats.answered;
    const cold = await answers();
    expect(lane.stats.answered - answered).toBeLessThan(2);
    answered = lane.stats.answered;
    const warm = await answers();
    expect(lane.stats.answered - answered).toBe(2);
    expect(warm.map(({ maxAge: _, ...rest }) => rest)).toEqual(cold.map(({ maxAge: _, ...rest }) => rest));
    expect(Math.abs(warm[0].maxAge - cold[0].maxAge)).toBeLessThanOrEqual(1);
    expect(warm[0].maxAge).toBeGreaterThan(290);
    expect(warm.map((answer) => answer.status)).toEqual([204, 401]);
    expect(warm[0].headers['set-cookie']).toMatch(/^waitroom_pass=/);
    // HEAD too (what some proxies send), and the request id given is kept.
    const head = await svc.http.request('HEAD', `/api/v1/waitroom/gate/${eventId}`, undefined, {
      'x-request-id': 'r-1',
    });
    expect(head.status).toBe(401);
    expect(head.headers.get('x-request-id')).toBe('r-1');
  });

  it('an unknown, removed or malformed event: 401 to its waiting page (which says so), nothing kept', async () => {
    const url = 'https://shop.example.com/';
    for (const id of ['no-such-event-here', 'bad id', '-x', 'a'.repeat(65)]) {
      const response = await gate(id, { 'x-original-url': url });
      expectRefusal(response, id, url);
      const page = await svc.http.get(response.headers.get('location')!);
      expect(page.status).toBe(404);
    }
    // Made-up event ids cost their one read each, and no snapshot (nor its refresh loop) is kept.
    const kept = (snapshots as unknown as { snapshots: Map<string, unknown> }).snapshots;
    for (let i = 0; i < 5; i++) expect((await gate(`made-up-${i}`)).status).toBe(401);
    expect([...kept.keys()].filter((id) => id.startsWith('made-up-') || id === 'no-such-event-here')).toEqual(
      [],
    );
  });

  describe('gate_origins and return_to (no open redirect)', () => {
    const put = (eventId: string, body: Record<string, unknown>) => svc.http.upsertEvent(eventId, body);

    it('stores up to 10 origins; anything else in gate_origins is a 400 in the one error shape', async () => {
      const eventId = `origins-${Date.now()}`;
      const good = ['https://shop.example.com', 'https://tickets.example.org:8443', 'http://localhost:8088'];
      const created = await put(eventId, { capacity: 1, gate_origins: good });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        gate_origins: good,
        passthrough_when_free: false,
        join_identity_jwk: null,
      });
      expect(
        (await svc.http.get(`/api/v1/waitroom/admin/events/${eventId}`, { 'x-api-key': ADMIN_KEY })).body,
      ).toMatchObject({ gate_origins: good });
      expect((await put(eventId, { capacity: 1 })).body.gate_origins).toEqual([]);
      expect((await put(eventId, { capacity: 1, gate_origins: null })).body.gate_origins).toEqual([]);

      for (const bad of [
        'https://shop.example.com/',
        'https://shop.example.com/path',
        'https://shop.example.com?x=1',
        'http://shop.example.com',
        'javascript:alert(1)',
        '//evil.example',
        'https://user@shop.example.com',
        'https://shop.example.com\r\n',
        'ftp://shop.example.com',
        'shop.example.com',
        '',
        `https://${'a'.repeat(10_000)}.example.com`,
        42,
        null,
      ]) {
        const response = await put(eventId, { capacity: 1, gate_origins: [bad] });
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
        expect(response.body.errors.join(' ')).toMatch(/gate_origins/);
      }
      const eleven = Array.from({ length: 11 }, (_, i) => `https://s${i}.example.com`);
      expect((await put(eventId, { capacity: 1, gate_origins: eleven })).status).toBe(400);
      expect((await put(eventId, { capacity: 1, gate_origins: 'https://shop.example.com' })).status).toBe(
        400,
      );
      expect((await put(eventId, { capacity: 1, gate_origins: { a: 1 } })).status).toBe(400);
    });

    it('the waiting page keeps return_to only when its origin is allowed', async () => {
      const eventId = await svc.http.createEvent('return-to', {
        capacity: 1,
        checkout_url: 'https://shop.example.com/checkout',
        gate_origins: ['https://tickets.example.org'],
      });
      const pageConfig = async (returnTo: string) => {
        const response = await svc.http.get(
          `/waitroom/${eventId}?return_to=${encodeURIComponent(returnTo)}&user_id=u1`,
        );
        expect(response.status).toBe(200);
        const json = /<script type="application\/json" id="page-config">(.*?)<\/script>/s.exec(
          response.body as string,
        )![1];
        return JSON.parse(json) as { return_to: string | null; checkout_url: string };
      };
      expect((await pageConfig('https://shop.example.com/cart?a=1')).return_to).toBe(
        'https://shop.example.com/cart?a=1',
      );
      expect((await pageConfig('https://tickets.example.org/x')).return_to).toBe(
        'https://tickets.example.org/x',
      );
      for (const hostile of [
        'javascript:alert(1)',
        '//evil.example/',
        'https://shop.example.com@evil.example/',
        'https://evil.example/?https://shop.example.com',
        'https://shop.example.com.evil.example/',
        'https://shop.example.com/\r\nSet-Cookie: a=1',
        'https://evil.example\\@shop.example.com/',
        `https://shop.example.com/${'a'.repeat(10_000)}`,
      ]) {
        const config = await pageConfig(hostile);
        expect(config.return_to).toBeNull();
        expect(config.checkout_url).toBe('https://shop.example.com/checkout');
      }
      // Encoded CR/LF reach the page decoded once, as control characters: refused too.
      const raw = await svc.http.get(`/waitroom/${eventId}?return_to=https://shop.example.com/%0d%0aX:%20y`);
      expect(raw.status).toBe(200);
      expect(raw.body).not.toMatch(/"return_to":"https/);
    });
  });
});
