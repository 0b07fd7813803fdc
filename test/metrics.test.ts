import { createServer } from 'node:net';
import { eventually, startApp, type RunningApp } from './support/app-harness';

/** One line of the Prometheus text format, parsed. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name whose labels include `labels`; undefined if none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** A local port nothing listens on (never 6379: that is the shared Redis). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('GET /metrics', () => {
  let svc: RunningApp;
  let seq = 0;
  const newEventId = () => `metrics-${Date.now()}-${++seq}`;
  const scrape = async () => {
    const response = await svc.http.get<string>('/metrics');
    expect(response.status).toBe(200);
    return { text: response.body, samples: parseExposition(response.body), headers: response.headers };
  };

  beforeAll(async () => {
    svc = await startApp();
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('answers in Prometheus text with process metrics and redis_up, outside the OpenAPI document', async () => {
    const { text, samples, headers } = await scrape();
    expect(headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text).toContain('# TYPE waitroom_http_request_duration_seconds histogram');
    expect(text).toContain('# TYPE waitroom_event_queue_length gauge');
    expect(text).toContain('# TYPE waitroom_scheduler_sessions_total counter');
    expect(valueOf(samples, 'waitroom_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'waitroom_redis_up')).toBe(1);

    const docs = await svc.http.get<{ paths: Record<string, unknown> }>('/api/docs-json');
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).not.toContain('/metrics');
  });

  it('follows an event through joins, a leave and admissions, per event_id', async () => {
    const eventId = newEventId();
    // Paused: joins are taken and nobody is admitted, so the queue holds exactly what joined.
    expect((await svc.http.upsertEvent(eventId, { capacity: 2, state: 'paused' })).status).toBe(201);
    const sessions: string[] = [];
    for (const user of ['u1', 'u2', 'u3']) {
      const joined = await svc.http.join(user, eventId);
      expect(joined.status).toBe(201);
      sessions.push(joined.body.session_id);
    }
    const event = { event_id: eventId };

    let { samples } = await scrape();
    expect(valueOf(samples, 'waitroom_event_queue_length', event)).toBe(3);
    expect(valueOf(samples, 'waitroom_event_joined', event)).toBe(3);
    expect(valueOf(samples, 'waitroom_event_active_sessions', event)).toBe(0);
    expect(valueOf(samples, 'waitroom_event_capacity', event)).toBe(2);
    expect(valueOf(samples, 'waitroom_event_state', { ...event, state: 'paused' })).toBe(1);
    expect(valueOf(samples, 'waitroom_event_state', { ...event, state: 'open' })).toBe(0);
    expect(valueOf(samples, 'waitroom_outbox_backlog', event)).toBeGreaterThanOrEqual(0);

    expect((await svc.http.leave(sessions[0])).status).toBe(200);
    ({ samples } = await scrape());
    expect(valueOf(samples, 'waitroom_event_queue_length', event)).toBe(2);
    expect(valueOf(samples, 'waitroom_event_left', event)).toBe(1);
    expect(valueOf(samples, 'waitroom_event_joined', event)).toBe(3);

    // Open it: this app's scheduler (the only one on this key prefix) admits the two left.
    const admittedBefore =
      valueOf(samples, 'waitroom_scheduler_sessions_total', { outcome: 'admitted' }) ?? 0;
    expect((await svc.http.upsertEvent(eventId, { capacity: 2, state: 'open' })).status).toBe(200);
    samples = await eventually(
      async () => (await scrape()).samples,
      (s) => valueOf(s, 'waitroom_event_active_sessions', event) === 2,
    );
    expect(valueOf(samples, 'waitroom_event_queue_length', event)).toBe(0);
    expect(valueOf(samples, 'waitroom_event_admitted', event)).toBe(2);
    // The scheduler adds to its own total just after the script returns, so a scrape can land
    // between the two: wait for it rather than read it once.
    await eventually(
      async () =>
        valueOf((await scrape()).samples, 'waitroom_scheduler_sessions_total', { outcome: 'admitted' }),
      (admitted) => admitted === admittedBefore + 2,
    );
    // The outbox relay runs against the real broker: the backlog drains.
    await eventually(
      async () => valueOf((await scrape()).samples, 'waitroom_outbox_backlog', event),
      (backlog) => backlog === 0,
    );
  });

  it('times requests by route template, never by URL, with the status code', async () => {
    const eventId = newEventId();
    expect((await svc.http.upsertEvent(eventId, { capacity: 1, state: 'paused' })).status).toBe(201);
    const sessionIds: string[] = [];
    for (const user of ['h1', 'h2']) {
      const joined = await svc.http.join(user, eventId);
      expect(joined.status).toBe(201);
      sessionIds.push(joined.body.session_id);
      expect((await svc.http.session(joined.body.session_id)).status).toBe(200);
    }
    expect((await svc.http.get('/no/such/path/12345')).status).toBe(404);

    const { text, samples } = await scrape();
    const duration = 'waitroom_http_request_duration_seconds';
    const join = { method: 'POST', route: '/api/v1/waitroom/join', status_code: '201' };
    expect(valueOf(samples, `${duration}_count`, join)).toBeGreaterThanOrEqual(2);
    expect(valueOf(samples, `${duration}_bucket`, { ...join, le: '+Inf' })).toBe(
      valueOf(samples, `${duration}_count`, join),
    );
    expect(valueOf(samples, `${duration}_sum`, join)).toBeGreaterThan(0);
    const get = { method: 'GET', route: '/api/v1/waitroom/sessions/:session_id', status_code: '200' };
    expect(valueOf(samples, `${duration}_count`, get)).toBeGreaterThanOrEqual(2);
    expect(
      valueOf(samples, `${duration}_count`, { method: 'GET', route: 'unmatched', status_code: '404' }),
    ).toBeGreaterThanOrEqual(1);

    // Bounded cardinality: no session id and no raw URL anywhere in the exposition.
    for (const sessionId of sessionIds) expect(text).not.toContain(sessionId);
    // In any label (a raw URL would be one), the events' own ids aside: made of Date.now(), they
    // may hold "12345" too, as may a sample's value.
    const labelValues = samples.flatMap((sample) =>
      Object.entries(sample.labels).flatMap(([name, value]) => (name === 'event_id' ? [] : [value])),
    );
    expect(labelValues.filter((value) => value.includes('12345'))).toEqual([]);
    const routes = new Set(samples.filter((s) => s.name === `${duration}_count`).map((s) => s.labels.route));
    for (const route of routes) expect(route === 'unmatched' || route.startsWith('/')).toBe(true);
    expect(
      [...routes].filter((route) => route.includes('/sessions/') && !route.includes(':session_id')),
    ).toEqual([]);
  });

  it('still answers 200, quickly, with waitroom_redis_up 0 when Redis is unreachable', async () => {
    // A second application in the same process: it also shows each app has its own registry.
    const down = await startApp({
      env: { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` },
      background: false,
    });
    try {
      const started = Date.now();
      const response = await down.http.get<string>('/metrics');
      expect(response.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(3000);
      const samples = parseExposition(response.body);
      expect(valueOf(samples, 'waitroom_redis_up')).toBe(0);
      expect(samples.filter((s) => s.name.startsWith('waitroom_event_'))).toEqual([]);
      expect(valueOf(samples, 'waitroom_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    } finally {
      await down.close();
    }
    // The first app's registry is untouched by the second one's.
    expect(valueOf((await scrape()).samples, 'waitroom_redis_up')).toBe(1);
  });
});
