import SwaggerParser from '@apidevtools/swagger-parser';
import { Topics } from '@waitroom/contracts';
import type { OpenAPI } from 'openapi-types';
import { ENDED_STREAM_RETRY_MS } from '../apps/waitroom/src/live/session-stream.service';
import { startApp, eventually, type RunningApp } from './support/app-harness';
import { TopicCollector } from './support/kafka';
import { RedisProcess } from './support/redis-processes';
import { ServiceProcess } from './support/service-process';
import { ADMIN_KEY, uniquePrefix } from './support/test-env';

/** Issue 6: probes through a Redis outage, OpenAPI, abuse limits, headers, SIGTERM during a burst. */
describe('operability', () => {
  describe('with its own Redis, stopped and started under the running service', () => {
    const redis = new RedisProcess(Number(process.env.TEST_OUTAGE_REDIS_PORT ?? 6397));
    let svc: RunningApp;

    beforeAll(async () => {
      await redis.start();
      svc = await startApp({ env: { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '500' } });
    });
    afterAll(async () => {
      await svc?.close();
      redis.cleanup();
    });

    it('turns readiness to 503 and joins to a quick 503 + Retry-After while Redis is down, and recovers without a restart', async () => {
      expect((await svc.http.upsertEvent('outage', { capacity: 5, state: 'paused' })).status).toBe(201);
      expect((await svc.http.get('/health/ready')).status).toBe(200);

      redis.stop();
      const ready = await eventually(
        () => svc.http.get('/health/ready'),
        (r) => r.status === 503,
        10000,
      );
      expect(ready.body).toMatchObject({ status: 'error', error: { redis: { status: 'down' } } });
      expect((await svc.http.get('/health/live')).status).toBe(200);

      const started = Date.now();
      const join = await svc.http.join('during-outage', 'outage');
      expect(Date.now() - started).toBeLessThan(3000);
      expect(join.status).toBe(503);
      expect(join.body.code).toBe('STORE_UNAVAILABLE');
      expect(join.headers.get('retry-after')).toBe('1');
      expect((await svc.http.stats('outage')).status).toBe(503);

      await redis.start();
      await eventually(
        () => svc.http.get('/health/ready'),
        (r) => r.status === 200,
        15000,
      );
      // A fresh Redis has no events: the service answers from the store again (404, not 503).
      expect((await svc.http.join('after-outage', 'outage')).status).toBe(404);
      expect((await svc.http.upsertEvent('outage', { capacity: 5, state: 'paused' })).status).toBe(201);
      expect((await svc.http.join('after-outage', 'outage')).status).toBe(201);
    }, 60000);
  });

  describe('HTTP surface', () => {
    let svc: RunningApp;

    beforeAll(async () => {
      svc = await startApp({ env: { JOIN_RATE_LIMIT_PER_MINUTE: '3' } });
    });
    afterAll(async () => {
      await svc?.close();
    });

    it('serves an OpenAPI document that validates and lists every route of the contract', async () => {
      const response = await svc.http.get('/api/docs-json');
      expect(response.status).toBe(200);
      const document = response.body as OpenAPI.Document;
      await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeDefined();
      const routes = Object.entries(
        (document as { paths: Record<string, Record<string, unknown>> }).paths,
      ).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
      expect(routes).toEqual(
        expect.arrayContaining([
          'POST /api/v1/waitroom/join',
          'GET /api/v1/waitroom/sessions/{session_id}',
          'DELETE /api/v1/waitroom/sessions/{session_id}',
          'GET /api/v1/waitroom/sessions/{session_id}/stream',
          'GET /api/v1/waitroom/events/{event_id}/stats',
          'PUT /api/v1/waitroom/admin/events/{event_id}',
          'GET /api/v1/waitroom/admin/events/{event_id}',
          'GET /api/v1/waitroom/admin/events',
          'GET /.well-known/jwks.json',
          'GET /health/live',
          'GET /health/ready',
        ]),
      );
      const join = (document as any).paths['/api/v1/waitroom/join'].post;
      expect(Object.keys(join.responses)).toEqual(
        expect.arrayContaining(['200', '201', '400', '403', '404', '409', '429', '503']),
      );
      const ui = await fetch(`${svc.baseUrl}/api/docs`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('swagger');
    });

    it('limits joins per client address (429 with Retry-After) and sets security headers and a request id', async () => {
      expect((await svc.http.upsertEvent('limited', { capacity: 5, state: 'paused' })).status).toBe(201);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push(await svc.http.join(`limited-${i}`, 'limited'));
      expect(statuses.map((r) => r.status)).toEqual([201, 201, 201, 429]);
      const limited = statuses[3];
      expect(limited.body.code).toBe('RATE_LIMITED');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.headers.get('x-content-type-options')).toBe('nosniff');
      expect(limited.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      // A trusted caller (x-api-key: a gateway joining for many people) is not limited per address.
      const trusted = await svc.http.join('limited-trusted', 'limited', 0, { 'x-api-key': ADMIN_KEY });
      expect(trusted.status).toBe(201);
      const echoed = await svc.http.get('/health/live', { 'x-request-id': 'trace-me-123' });
      expect(echoed.headers.get('x-request-id')).toBe('trace-me-123');
    });

    it('answers unknown routes with a 404 in the error format', async () => {
      const response = await svc.http.get('/api/v1/waitroom/nothing-here');
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });
    });

    it('streams session changes as server-sent events and ends after a terminal status', async () => {
      await svc.http.upsertEvent('sse', { capacity: 5, state: 'paused' });
      const session = (await svc.http.join('sse-user', 'sse')).body;
      const controller = new AbortController();
      const response = await fetch(`${svc.baseUrl}/api/v1/waitroom/sessions/${session.session_id}/stream`, {
        signal: controller.signal,
        headers: { 'x-request-id': 'stream-trace-1' },
      });
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      // A stream writes its own headers (the framework's onSend hook never runs for it), and still
      // carries what every other answer does.
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('strict-transport-security')).toContain('max-age=');
      expect(response.headers.get('x-request-id')).toBe('stream-trace-1');
      const reader = response.body!.getReader();
      let text = '';
      const readUntil = async (needle: string) => {
        while (!text.includes(needle)) {
          const { value, done } = await reader.read();
          if (done) return;
          text += Buffer.from(value).toString('utf8');
        }
      };
      await readUntil('"status":"queued"');
      expect(text).toContain('event: session');
      // A live stream leaves reconnection to the client's default (a dropped connection comes back soon).
      expect(text).not.toContain('retry:');
      await svc.http.leave(session.session_id);
      await readUntil('"status":"left"');
      // The server ends the stream after the terminal status.
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
      const frames = text.split('\n\n').filter((frame) => frame.trim() !== '');
      const last = frames[frames.length - 1];
      expect(last).toContain('"status":"left"');
      // An EventSource reconnects to a stream that ended; nothing will change after a terminal
      // status, so the last event asks it to wait long instead of about 3 s.
      expect(last).toContain(`retry: ${ENDED_STREAM_RETRY_MS}`);
    });

    it("ends an unknown session's stream with one error event that asks the client to wait long before reconnecting", async () => {
      // Malformed (refused before any read), then well-formed but unknown (read, not found).
      for (const sessionId of ['not-a-session-id', 'sse~AAAAAAAAAAAAAAAAAAAAAA']) {
        const response = await fetch(`${svc.baseUrl}/api/v1/waitroom/sessions/${sessionId}/stream`);
        expect(response.status).toBe(200);
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
        const text = await response.text(); // the server ends it
        const frames = text.split('\n\n').filter((frame) => frame.trim() !== '');
        expect(frames).toHaveLength(1);
        expect(frames[0]).toContain('event: error');
        expect(frames[0]).toContain('SESSION_NOT_FOUND');
        expect(frames[0]).toContain(`retry: ${ENDED_STREAM_RETRY_MS}`);
      }
    });
  });

  describe('SIGTERM during a burst of joins', () => {
    it('answers or refuses every request, exits 0, and publishes the QUEUE_JOINED of every accepted join and no other', async () => {
      const service = ServiceProcess.onStack(uniquePrefix('sigterm'));
      await service.start();
      const collector = await TopicCollector.start([Topics.QUEUE_JOINED]);
      try {
        const eventId = `sigterm-${Date.now()}`;
        expect((await service.http.upsertEvent(eventId, { capacity: 5, state: 'paused' })).status).toBe(201);
        let answered = 0;
        const burst = Array.from({ length: 600 }, async (_, i) => {
          try {
            const response = await service.http.join(`burst-${i}`, eventId);
            answered++;
            return response;
          } catch {
            return null; // refused once the server stopped accepting: never accepted, nothing to publish
          }
        });
        await eventually(
          async () => answered,
          (n) => n >= 100,
          10000,
          5,
        );
        service.signal('SIGTERM');
        const responses = await Promise.all(burst);
        const exit = await service.waitForExit(30000);
        if (exit.code !== 0) throw new Error(`exit ${exit.code}; service log:\n${service.output.join('')}`);

        const accepted = responses.filter((r) => r?.status === 201).map((r) => r!.body.session_id as string);
        expect(accepted.length).toBeGreaterThanOrEqual(100);
        // Each request was accepted (201), refused while closing (503, Fastify's answer on a
        // closing server; the load balancer retries elsewhere) or never connected (null).
        expect(responses.filter((r) => r !== null && r.status !== 201 && r.status !== 503)).toEqual([]);
        const published = await collector.waitForEvent(Topics.QUEUE_JOINED, eventId, accepted.length, 30000);
        expect(new Set(published.map((m) => m.body.session_id))).toEqual(new Set(accepted));
      } finally {
        await collector.stop();
        await service.stop();
      }
    }, 90000);
  });
});
