/**
 * Fixed-concurrency HTTP load with autocannon's programmatic API: joins, each with a user_id of
 * its own, or requests over a list of paths. Latency is taken from each response (autocannon
 * measures it with hrtime) into a sample of our own, because autocannon's histogram keeps whole
 * milliseconds and a join on loopback takes about one.
 */
import autocannon, { type AutocannonRequest } from 'autocannon';
import { Samples, summarize, type LatencySummary } from './common';

/** One kind of request, repeated at fixed concurrency for `duration` seconds or `amount` requests. */
export interface Load {
  baseUrl: string;
  connections: number;
  /** Seconds (10 when neither is given); or `amount` requests. */
  duration?: number;
  amount?: number;
  /** autocannon's request; its setupRequest gives each request its own body or path. */
  request: AutocannonRequest;
}

export type JoinLoad = Omit<Load, 'request'> & {
  eventId: string;
  /** user_id = `${userPrefix}${n}`, n counting from 0 for this prefix. */
  userPrefix: string;
  /** The next user id instead (e.g. only users of one shard); absent: `${userPrefix}${n}`. */
  nextUserId?: () => string;
};

export interface LoadResult {
  requests: number;
  ok: number;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
  seconds: number;
  perSecond: number;
  latencyMs: LatencySummary;
}

export const JOIN_PATH = '/api/v1/waitroom/join';

/** A run's result plus its raw latencies (ms), to merge runs; not meant for the JSON output. */
export interface LoadRun extends LoadResult {
  samples: Float64Array;
  /** Seconds from the first to the last response. */
  flowingSeconds: number;
}

/**
 * Runs a load; a 2xx answer counts as ok and its latency goes into the sample. Throughput is over
 * the time answers were flowing, from the first to the last (connection set-up and the tail left out).
 */
export async function runLoad(load: Load): Promise<LoadRun> {
  const latencies = new Samples();
  const statusCounts: Record<string, number> = {};
  let ok = 0;
  let firstAt = 0;
  let lastAt = 0;
  const started = performance.now();
  const result = await new Promise<{ errors: number; timeouts: number }>((done, fail) => {
    const instance = autocannon(
      {
        url: load.baseUrl,
        connections: load.connections,
        ...(load.amount ? { amount: load.amount } : { duration: load.duration ?? 10 }),
        timeout: 10,
        requests: [load.request],
      },
      (error, outcome) =>
        error ? fail(error) : done({ errors: outcome.errors, timeouts: outcome.timeouts }),
    );
    instance.on(
      'response',
      (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
        const now = performance.now();
        if (firstAt === 0) firstAt = now;
        lastAt = now;
        statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
        if (statusCode >= 200 && statusCode < 300) {
          ok++;
          latencies.push(responseTimeMs);
        }
      },
    );
  });
  const seconds = (performance.now() - started) / 1000;
  const requests = Object.values(statusCounts).reduce((sum, count) => sum + count, 0);
  const flowing = lastAt > firstAt ? (lastAt - firstAt) / 1000 : seconds;
  return {
    requests,
    ok,
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds,
    perSecond: ok / flowing,
    latencyMs: summarize(latencies.values()),
    samples: latencies.values(),
    flowingSeconds: flowing,
  };
}

/** Joins, each with a user_id of its own. */
export function runJoinLoad(load: JoinLoad): Promise<LoadRun> {
  let counter = 0;
  const eventJson = JSON.stringify(load.eventId);
  const nextUserId = load.nextUserId ?? (() => `${load.userPrefix}${counter++}`);
  return runLoad({
    ...load,
    request: {
      method: 'POST',
      path: JOIN_PATH,
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => ({
        ...request,
        body: `{"user_id":"${nextUserId()}","event_id":${eventJson}}`,
      }),
    },
  });
}

/** Requests without a body over a list of paths, round-robin (each once with `amount` = paths.length). */
export function runPathLoad(
  load: Omit<Load, 'request'> & { method: 'GET' | 'DELETE'; paths: string[] },
): Promise<LoadRun> {
  let next = 0;
  return runLoad({
    ...load,
    request: {
      method: load.method,
      setupRequest: (request) => ({ ...request, path: load.paths[next++ % load.paths.length] }),
    },
  });
}
