import type { SessionBody } from '@waitroom/contracts';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis, { Cluster } from 'ioredis';
import { createApp } from '../../apps/waitroom/src/http/bootstrap';
import type { Environment } from '../../apps/waitroom/src/config/environment';
import { createRedisClient, type RedisClient } from '../../apps/waitroom/src/redis/redis-client';
import { RedisKeys } from '../../apps/waitroom/src/redis/redis-keys';
import { ADMIN_KEY, testEnvironment } from './test-env';

/**
 * A test's own connection to the app's Redis, beside the app's (whose client is private to its
 * door): to look at keys directly and to clean up.
 */
export interface TestRedis {
  client: RedisClient;
  keys: RedisKeys;
}

export function testRedis(env: Environment): TestRedis {
  const client = createRedisClient(env);
  client.on('error', () => undefined);
  return { client, keys: new RedisKeys(env.REDIS_KEY_PREFIX) };
}

export interface RunningApp {
  app: NestFastifyApplication;
  env: Environment;
  /** The test's own connection to the same Redis (closed by close()). */
  redis: TestRedis;
  baseUrl: string;
  /** JSON over real HTTP. */
  http: HttpClient;
  close: () => Promise<void>;
}

export interface HttpResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

let eventCounter = 0;

export class HttpClient {
  constructor(private readonly baseUrl: string) {}

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResponse<T>> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (e.g. Prometheus text): keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  put<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PUT', path, body, headers);
  }
  delete<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, undefined, headers);
  }

  join(userId: string, eventId: string, priority?: number, headers?: Record<string, string>) {
    return this.post(
      '/api/v1/waitroom/join',
      { user_id: userId, event_id: eventId, ...(priority === undefined ? {} : { priority }) },
      headers,
    );
  }
  session(sessionId: string) {
    return this.get(`/api/v1/waitroom/sessions/${encodeURIComponent(sessionId)}`);
  }
  /** Polls the session until its status is `status` (see eventually); the last answer. */
  waitForStatus(sessionId: string, status: string, timeoutMs?: number) {
    return eventually(
      () => this.session(sessionId),
      (response) => response.body.status === status,
      timeoutMs,
    );
  }
  /** `count` joins of users `<label>-<n>`, 50 at a time, each answered 201; their session ids in order. */
  async joinMany(eventId: string, count: number, label: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, (_, j) => this.join(`${label}-${i + j}`, eventId)),
      );
      for (const response of batch) {
        expect(response.status).toBe(201);
        ids.push(response.body.session_id as string);
      }
    }
    return ids;
  }
  leave(sessionId: string) {
    return this.delete(`/api/v1/waitroom/sessions/${encodeURIComponent(sessionId)}`);
  }
  stats(eventId: string) {
    return this.get(`/api/v1/waitroom/events/${encodeURIComponent(eventId)}/stats`);
  }
  /** Configures a new event under a unique id (`<label>-<time>-<n>`) and returns the id. */
  async createEvent(label: string, config: Record<string, unknown>): Promise<string> {
    const eventId = `${label}-${Date.now()}-${++eventCounter}`;
    const response = await this.upsertEvent(eventId, config);
    if (response.status !== 201)
      throw new Error(`creating event ${eventId}: ${response.status} ${JSON.stringify(response.body)}`);
    return eventId;
  }
  upsertEvent(eventId: string, config: Record<string, unknown>) {
    return this.put(`/api/v1/waitroom/admin/events/${encodeURIComponent(eventId)}`, config, {
      'x-api-key': ADMIN_KEY,
    });
  }
}

/** One open live stream (GET /sessions/:id/stream), collecting the session bodies it receives. */
export class SessionStream {
  readonly bodies: SessionBody[] = [];
  ended = false;
  private readonly controller = new AbortController();

  static async open(baseUrl: string, sessionId: string): Promise<SessionStream> {
    const stream = new SessionStream();
    const response = await fetch(
      `${baseUrl}/api/v1/waitroom/sessions/${encodeURIComponent(sessionId)}/stream`,
      { signal: stream.controller.signal },
    );
    void stream.consume(response.body!.getReader());
    return stream;
  }

  private async consume(body: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await body.read();
        if (done) break;
        buffer += Buffer.from(value).toString('utf8');
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          if (!frame.includes('event: session')) continue;
          const data = frame.split('\n').find((line) => line.startsWith('data: '));
          if (data) this.bodies.push(JSON.parse(data.slice(6)));
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
  }

  get last() {
    return this.bodies[this.bodies.length - 1];
  }

  /** The places it showed while the session was queued, in order. */
  get queuedPositions(): number[] {
    return this.bodies.flatMap((body) =>
      body.status === 'queued' && body.position !== null ? [body.position] : [],
    );
  }

  close(): void {
    this.controller.abort();
  }
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Start the Kafka consumer (checkout topics). Off by default: joining the group takes seconds. */
  consumer?: boolean;
  /** Run the admission scheduler and outbox relay (on by default). */
  background?: boolean;
}

/** Starts the real application (same bootstrap as main.ts) on a free port. */
export async function startApp(options: StartOptions = {}): Promise<RunningApp> {
  const env = testEnvironment(options.env);
  const app = await createApp(env);
  if (options.background === false) {
    const { AdmissionScheduler } = await import('../../apps/waitroom/src/admission/admission.scheduler');
    const { OutboxRelayService } = await import('../../apps/waitroom/src/events/outbox/outbox-relay.service');
    app.get(AdmissionScheduler).onApplicationBootstrap = () => undefined;
    app.get(OutboxRelayService).onApplicationBootstrap = () => undefined;
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  // kafkajs resolves run() once the group is joined and partitions are assigned.
  if (options.consumer) await app.startAllMicroservices();
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const baseUrl = `http://127.0.0.1:${port}`;
  const redis = testRedis(env);
  return {
    app,
    env,
    redis,
    baseUrl,
    http: new HttpClient(baseUrl),
    close: async () => {
      await deleteKeys(redis.client, env.REDIS_KEY_PREFIX).catch(() => undefined);
      redis.client.disconnect();
      await app.close();
    },
  };
}

/** Deletes every key under a prefix (test cleanup; never FLUSHALL: the Redis may be shared). */
export async function deleteKeys(client: Redis | Cluster, prefix: string): Promise<void> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) await node.unlink(key);
    } while (cursor !== '0');
  }
}

export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 15000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!accept(last)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
    last = await probe();
  }
  return last;
}
