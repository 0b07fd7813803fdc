import type { FastifyReply, FastifyRequest } from 'fastify';
import { Histogram, Registry } from 'prom-client';
import type { EventConfig, EventCounters } from '../queue/event-config';
import { readClusterSnapshot, SingleFlight, type ClusterSource } from './cluster-snapshot';
import { CounterMirror } from './counter-mirror';
import { HTTP_LABELS, recordHttpDuration, routeLabel, UNMATCHED_ROUTE } from './http-metrics';

const counters = (queueLength: number): EventCounters => ({
  queueLength,
  activeCount: 1,
  admittedTotal: 1,
  completedTotal: 0,
  failedTotal: 0,
  expiredTotal: 0,
  leftTotal: 0,
  abandonedTotal: 0,
  joinedTotal: queueLength + 1,
  admissionRatePerSecond: null,
});
const config = (eventId: string) => ({ eventId, capacity: 5, state: 'open' }) as EventConfig;
const never = <T>() => new Promise<T>(() => undefined);

function source(overrides: Partial<ClusterSource> = {}): ClusterSource {
  return {
    listEventIds: async () => ['a', 'b'],
    getEvent: async (eventId) => ({ config: config(eventId), counters: counters(eventId === 'a' ? 3 : 7) }),
    backlog: async () => 2,
    ...overrides,
  };
}

describe('readClusterSnapshot', () => {
  it('reads every event and its outbox backlog', async () => {
    const snapshot = await readClusterSnapshot(source(), 1000);
    expect(snapshot.redisUp).toBe(true);
    expect(snapshot.events.map((e) => [e.eventId, e.counters?.queueLength, e.outboxBacklog])).toEqual([
      ['a', 3, 2],
      ['b', 7, 2],
    ]);
  });

  it('reports Redis down, without rejecting, when the event list cannot be read', async () => {
    const snapshot = await readClusterSnapshot(
      source({ listEventIds: () => Promise.reject(new Error('down')) }),
      1000,
    );
    expect(snapshot).toEqual({ redisUp: false, events: [] });
  });

  it('keeps the events it could read when one read fails', async () => {
    const snapshot = await readClusterSnapshot(
      source({
        getEvent: async (id) =>
          id === 'b' ? Promise.reject(new Error('timeout')) : { config: config(id), counters: counters(3) },
      }),
      1000,
    );
    expect(snapshot.redisUp).toBe(false);
    expect(snapshot.events.find((e) => e.eventId === 'a')?.counters?.queueLength).toBe(3);
    // b has its backlog but no event series.
    expect(snapshot.events.find((e) => e.eventId === 'b')).toEqual({ eventId: 'b', outboxBacklog: 2 });
  });

  it('gives up after the timeout with what finished, and later results do not change it', async () => {
    let releaseB!: (value: { config: EventConfig; counters: EventCounters }) => void;
    const started = Date.now();
    const snapshot = await readClusterSnapshot(
      source({
        getEvent: (id) =>
          id === 'a'
            ? Promise.resolve({ config: config(id), counters: counters(3) })
            : new Promise((resolve) => (releaseB = resolve)),
        backlog: (id) => (id === 'a' ? Promise.resolve(0) : never<number>()),
      }),
      50,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(snapshot.redisUp).toBe(false);
    expect(snapshot.events.map((e) => e.eventId)).toEqual(['a']);
    releaseB({ config: config('b'), counters: counters(9) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(snapshot.events.map((e) => e.eventId)).toEqual(['a']);
  });

  it('returns within the bound when listing the events hangs', async () => {
    const snapshot = await readClusterSnapshot(source({ listEventIds: () => never<string[]>() }), 20);
    expect(snapshot).toEqual({ redisUp: false, events: [] });
  });

  it('leaves out a registered id that has no config, apart from its backlog', async () => {
    const snapshot = await readClusterSnapshot(
      source({ listEventIds: async () => ['gone'], getEvent: async () => null }),
      1000,
    );
    expect(snapshot).toEqual({ redisUp: true, events: [{ eventId: 'gone', outboxBacklog: 2 }] });
  });
});

describe('SingleFlight', () => {
  it('shares one load between concurrent callers and loads again once it settled', async () => {
    let loads = 0;
    const flight = new SingleFlight(async () => ++loads);
    const [first, second] = await Promise.all([flight.get(), flight.get()]);
    expect([first, second]).toEqual([1, 1]);
    expect(await flight.get()).toBe(2);
  });

  it('does not keep a failed load', async () => {
    let calls = 0;
    const flight = new SingleFlight(async () => {
      if (++calls === 1) throw new Error('first fails');
      return 'ok';
    });
    await expect(flight.get()).rejects.toThrow('first fails');
    await expect(flight.get()).resolves.toBe('ok');
  });
});

describe('CounterMirror', () => {
  it('turns running totals into increments per key', () => {
    const mirror = new CounterMirror();
    expect(mirror.delta('a', 5)).toBe(5);
    expect(mirror.delta('a', 5)).toBe(0);
    expect(mirror.delta('a', 8)).toBe(3);
    expect(mirror.delta('b', 1)).toBe(1);
  });

  it('never yields a negative increment when the source was reset', () => {
    const mirror = new CounterMirror();
    mirror.delta('a', 10);
    expect(mirror.delta('a', 4)).toBe(4);
    expect(mirror.delta('a', 6)).toBe(2);
  });
});

describe('HTTP route label', () => {
  const request = (url: string | undefined, is404 = false) =>
    ({ is404, routeOptions: { url }, method: 'GET' }) as unknown as FastifyRequest;

  it('uses the route template, and one label for everything unmatched', () => {
    expect(routeLabel(request('/api/v1/waitroom/sessions/:session_id'))).toBe(
      '/api/v1/waitroom/sessions/:session_id',
    );
    expect(routeLabel(request(undefined, true))).toBe(UNMATCHED_ROUTE);
    expect(routeLabel(request('/*', true))).toBe(UNMATCHED_ROUTE);
    expect(routeLabel(request(undefined))).toBe(UNMATCHED_ROUTE);
  });

  it('records seconds into the series of method, route template and status code', async () => {
    const registry = new Registry();
    const histogram = new Histogram({
      name: 'h',
      help: 'h',
      labelNames: HTTP_LABELS,
      buckets: [0.01, 1],
      registers: [registry],
    });
    const reply = (statusCode: number, elapsedTime: number) => ({ statusCode, elapsedTime }) as FastifyReply;
    recordHttpDuration(histogram, request('/x/:id'), reply(200, 5));
    recordHttpDuration(histogram, request('/x/:id'), reply(200, 500));
    recordHttpDuration(histogram, request('/x/:id'), reply(404, 1));

    const { values } = await histogram.get();
    const count = (status: number) =>
      values.find(
        (v) => v.metricName === 'h_count' && v.labels.status_code === status && v.labels.route === '/x/:id',
      )?.value;
    expect(count(200)).toBe(2);
    expect(count(404)).toBe(1);
    const fast = values.find(
      (v) =>
        v.metricName === 'h_bucket' &&
        v.labels.status_code === 200 &&
        (v.labels as Record<string, unknown>).le === 0.01,
    );
    expect(fast?.value).toBe(1);
    const sum = values.find((v) => v.metricName === 'h_sum' && v.labels.status_code === 200)?.value;
    expect(sum).toBeCloseTo(0.505);
  });
});
