import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { startApp, type RunningApp } from './support/app-harness';
import { RedisProcess } from './support/redis-processes';
import { ADMIN_KEY } from './support/test-env';

/**
 * HTTP input that is strict where it should be (issue 10, "valid input refused, invalid input
 * accepted"): one ISO-8601 rule for opens_at, JSON bodies only, no Content-Encoding, no
 * prototype names as fields, one error shape for every 4xx (the framework's own included),
 * and the store timeout as documented.
 */

const JOIN_PATH = '/api/v1/waitroom/join';
const ADMIN_EVENTS_PATH = '/api/v1/waitroom/admin/events';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes exactly as given and reads the raw answer (fetch normalises or refuses some requests). */
function rawRequest(port: number, request: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => (chunks.length > 0 ? undefined : reject(error)));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(request);
  });
}

function portOf(app: RunningApp): number {
  return Number(new URL(app.baseUrl).port);
}

/** The documented error shape and nothing else: no statusCode / error fields from Fastify. */
function expectErrorShape(body: unknown, status: number, code: string): void {
  expect(body).toEqual(expect.objectContaining({ status, code, message: expect.any(String) }));
  expect(Object.keys(body as object).sort()).toEqual(
    (body as { errors?: unknown }).errors === undefined
      ? ['code', 'message', 'status']
      : ['code', 'errors', 'message', 'status'],
  );
}

describe('HTTP input parsing', () => {
  let running: RunningApp;
  let eventId: string;

  beforeAll(async () => {
    running = await startApp({ background: false });
    eventId = await running.http.createEvent('input', { capacity: 10 });
  });

  afterAll(async () => {
    await running?.close();
  });

  describe('checkout_url: absolute https, http only for localhost', () => {
    it.each([
      'shop.example.com/checkout',
      '/checkout',
      'http://shop.example.com/checkout',
      'javascript:alert(1)',
      'ftp://shop.example.com/',
      'https://user:pass@shop.example.com/',
      `https://shop.example.com/${'x'.repeat(2100)}`,
      42,
    ])('refuses %p with 400 naming checkout_url', async (value) => {
      const response = await running.http.upsertEvent(eventId, { capacity: 10, checkout_url: value });
      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400, 'VALIDATION_FAILED');
      expect((response.body as { errors: string[] }).errors.join(' ')).toContain('checkout_url');
    });

    it.each([
      'https://shop.example.com/checkout?a=1',
      'http://localhost:3001/checkout',
      'http://127.0.0.1/c',
    ])('stores %p, and null removes it', async (value) => {
      expect(
        (await running.http.upsertEvent(eventId, { capacity: 10, checkout_url: value })).body.checkout_url,
      ).toBe(value);
      expect(
        (await running.http.upsertEvent(eventId, { capacity: 10, checkout_url: null })).body.checkout_url,
      ).toBeNull();
    });
  });

  describe('opens_at follows one ISO-8601 rule', () => {
    const refused = [
      '2026-W01',
      '20260101',
      '2026-01-01T10Z',
      '2026-01-01T10:00:00,5Z',
      '2026-01-01 10:00',
      '2026-01-01T10:00',
      '2026-01-01',
      '2026-13-01T10:00:00Z',
      '2026-02-30T10:00:00Z',
      '2026-01-01T24:00:00Z',
      '',
    ];

    it.each(refused)(
      'refuses %p with 400 naming opens_at, and the event list stays readable',
      async (value) => {
        const id = `opens-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
        const response = await running.http.upsertEvent(id, { capacity: 1, opens_at: value });
        expect(response.status).toBe(400);
        expectErrorShape(response.body, 400, 'VALIDATION_FAILED');
        expect((response.body as { errors: string[] }).errors.join(' ')).toContain('opens_at');
        const list = await running.http.get(ADMIN_EVENTS_PATH, { 'x-api-key': ADMIN_KEY });
        expect(list.status).toBe(200);
      },
    );

    it.each([
      ['2026-01-01T10:00Z', '2026-01-01T10:00:00.000Z'],
      ['2026-01-01T10:00:00+02:00', '2026-01-01T08:00:00.000Z'],
      ['2026-01-01T10:00:00.123456-05:30', '2026-01-01T15:30:00.123Z'],
      ['2028-02-29T23:59:59Z', '2028-02-29T23:59:59.000Z'],
    ])('stores %p as the instant %p', async (value, stored) => {
      const response = await running.http.upsertEvent(eventId, { capacity: 10, opens_at: value });
      expect(response.status).toBe(200);
      expect(response.body.opens_at).toBe(stored);
    });
  });

  describe('only application/json bodies', () => {
    it('refuses a form-encoded join (what a plain cross-site HTML form sends) with 415', async () => {
      const response = await running.http.post(JOIN_PATH, `user_id=form-user&event_id=${eventId}`, {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(response.status).toBe(415);
      expectErrorShape(response.body, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('refuses a text/plain join with 415, even when the text is JSON', async () => {
      const response = await running.http.join('text-user', eventId, undefined, {
        'content-type': 'text/plain',
      });
      expect(response.status).toBe(415);
      expectErrorShape(response.body, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('refuses a form-encoded admin PUT with 415', async () => {
      const response = await running.http.put(`${ADMIN_EVENTS_PATH}/${eventId}`, 'capacity=5', {
        'content-type': 'application/x-www-form-urlencoded',
        'x-api-key': ADMIN_KEY,
      });
      expect(response.status).toBe(415);
      expectErrorShape(response.body, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('refuses a body without a content-type with 415', async () => {
      const body = JSON.stringify({ user_id: 'untyped-user', event_id: eventId });
      const response = await rawRequest(
        portOf(running),
        `POST ${JOIN_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
      expect(response.status).toBe(415);
      expectErrorShape(JSON.parse(response.body), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('accepts application/json with a charset parameter', async () => {
      const response = await running.http.join('charset-user', eventId, undefined, {
        'content-type': 'application/json; charset=utf-8',
      });
      expect(response.status).toBe(201);
    });

    it('refuses a media type that only starts like JSON', async () => {
      const response = await running.http.join('jsonx-user', eventId, undefined, {
        'content-type': 'application/jsonx',
      });
      expect(response.status).toBe(415);
      expectErrorShape(response.body, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it.each(['gzip', 'br', 'deflate', 'x-anything'])(
      'refuses a body with Content-Encoding %s with 415 instead of reading it as plain',
      async (encoding) => {
        const json = JSON.stringify({ user_id: `enc-${encoding}`, event_id: eventId });
        const body = encoding === 'gzip' ? gzipSync(json) : Buffer.from(json);
        const response = await fetch(`${running.baseUrl}${JOIN_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': encoding },
          body,
        });
        expect(response.status).toBe(415);
        expectErrorShape(await response.json(), 415, 'UNSUPPORTED_MEDIA_TYPE');
      },
    );

    it('accepts Content-Encoding identity', async () => {
      const response = await running.http.join('identity-user', eventId, undefined, {
        'content-encoding': 'identity',
      });
      expect(response.status).toBe(201);
    });
  });

  describe('unknown fields, including the names Object.prototype carries', () => {
    const prototypeNames = [
      'constructor',
      'toString',
      'valueOf',
      '__proto__',
      'hasOwnProperty',
      'isPrototypeOf',
    ];

    it.each(prototypeNames)('admin PUT refuses %p with 400 naming it', async (field) => {
      // Written by hand: an object literal with __proto__ would set the prototype, not a field.
      const body = `{"capacity": 5, "${field}": 1}`;
      const response = await running.http.put(`${ADMIN_EVENTS_PATH}/${eventId}`, body, {
        'content-type': 'application/json',
        'x-api-key': ADMIN_KEY,
      });
      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400, 'VALIDATION_FAILED');
      expect((response.body as { errors: string[] }).errors).toContain(`property ${field} should not exist`);
    });

    it.each(prototypeNames)('join refuses %p with 400 naming it', async (field) => {
      const body = `{"user_id": "proto-user", "event_id": "${eventId}", "${field}": 1}`;
      const response = await running.http.post(JOIN_PATH, body);
      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400, 'VALIDATION_FAILED');
      expect((response.body as { errors: string[] }).errors).toContain(`property ${field} should not exist`);
    });
  });

  describe('every 4xx in the documented shape, framework errors included', () => {
    it('malformed percent-encoding in a path: 400', async () => {
      const response = await running.http.get('/api/v1/waitroom/sessions/%ZZ');
      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400, 'VALIDATION_FAILED');
    });

    it('a path parameter longer than the router allows: 414', async () => {
      const response = await running.http.get(`/api/v1/waitroom/sessions/${'a'.repeat(1025)}`);
      expect(response.status).toBe(414);
      expectErrorShape(response.body, 414, 'URI_TOO_LONG');
    });

    it('a session id of the longest issued length is an ordinary 404', async () => {
      const longest = `${'e'.repeat(64)}~${'A'.repeat(22)}`;
      const response = await running.http.get(`/api/v1/waitroom/sessions/${longest}`);
      expect(response.status).toBe(404);
      expectErrorShape(response.body, 404, 'SESSION_NOT_FOUND');
    });

    it('a 64 KB header, refused by the HTTP parser before routing: 431', async () => {
      const response = await rawRequest(
        portOf(running),
        `GET /api/v1/waitroom/events/${eventId}/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `X-Big: ${'a'.repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`,
      );
      expect(response.status).toBe(431);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expectErrorShape(JSON.parse(response.body), 431, 'HEADERS_TOO_LARGE');
    });

    it('a request line the HTTP parser cannot read: 400', async () => {
      const response = await rawRequest(portOf(running), 'NOT A REQUEST\r\n\r\n');
      expect(response.status).toBe(400);
      expectErrorShape(JSON.parse(response.body), 400, 'VALIDATION_FAILED');
    });

    it('invalid JSON: 400', async () => {
      const response = await running.http.post(JOIN_PATH, '{"user_id": ');
      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400, 'VALIDATION_FAILED');
    });

    it('an empty body with content-type json: 400', async () => {
      const response = await rawRequest(
        portOf(running),
        `POST ${JOIN_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          'Content-Length: 0\r\nConnection: close\r\n\r\n',
      );
      expect(response.status).toBe(400);
      expectErrorShape(JSON.parse(response.body), 400, 'VALIDATION_FAILED');
    });

    it('a body over the limit: 413', async () => {
      const response = await running.http.post(JOIN_PATH, {
        user_id: 'x'.repeat(20 * 1024),
        event_id: eventId,
      });
      expect(response.status).toBe(413);
      expectErrorShape(response.body, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('an unknown route: 404', async () => {
      const response = await running.http.get('/api/v1/waitroom/nowhere');
      expect(response.status).toBe(404);
      expectErrorShape(response.body, 404, 'ROUTE_NOT_FOUND');
    });
  });
});

describe('store timeout as documented', () => {
  const COMMAND_TIMEOUT_MS = 1000;
  /** Scheduling slack on a loaded 2-core machine; far below a second command timeout. */
  const MARGIN_MS = 400;
  const redis = new RedisProcess(Number(process.env.TEST_FROZEN_REDIS_PORT ?? 6395));
  let running: RunningApp;
  let redisPid: number;

  beforeAll(async () => {
    await redis.start();
    redisPid = Number(
      /process_id:(\d+)/.exec(
        execFileSync('redis-cli', ['-p', String(redis.port), 'info', 'server'], { encoding: 'utf8' }),
      )?.[1],
    );
    expect(redisPid).toBeGreaterThan(0);
    // The admission step and the relay run: their commands are in flight when Redis freezes, as in production.
    running = await startApp({
      env: { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) },
    });
  });

  afterAll(async () => {
    if (redisPid) process.kill(redisPid, 'SIGCONT');
    await running?.close();
    redis.cleanup();
  });

  it('a join against a frozen Redis answers 503 with Retry-After within REDIS_COMMAND_TIMEOUT_MS', async () => {
    const eventId = await running.http.createEvent('frozen', { capacity: 1 });
    expect((await running.http.join('before-freeze', eventId)).status).toBe(201);

    process.kill(redisPid, 'SIGSTOP');
    try {
      // Let the background loops put commands in flight against the frozen server first.
      await new Promise((resolve) => setTimeout(resolve, 150));
      const startedAt = performance.now();
      const frozen = await running.http.join('during-freeze', eventId);
      const elapsedMs = performance.now() - startedAt;
      expect(frozen.status).toBe(503);
      expectErrorShape(frozen.body, 503, 'STORE_UNAVAILABLE');
      expect(frozen.headers.get('retry-after')).toBe('1');
      expect(elapsedMs).toBeLessThan(COMMAND_TIMEOUT_MS + MARGIN_MS);
    } finally {
      process.kill(redisPid, 'SIGCONT');
    }

    const after = await running.http.join('after-thaw', eventId);
    expect(after.status).toBe(201);
  });
});
