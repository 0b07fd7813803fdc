/**
 * Fixed-concurrency HTTP load with autocannon's programmatic API: every request is a join
 * with a user_id of its own. Latency is taken from each response (autocannon measures it with
 * hrtime) into a sample of our own, because autocannon's histogram keeps whole milliseconds
 * and a join on loopback takes about one.
 */
import autocannon from 'autocannon';
import { Samples, summarize, type LatencySummary } from './common';

export interface JoinLoad {
  baseUrl: string;
  eventId: string;
  connections: number;
  /** Seconds; or `amount` requests. */
  duration?: number;
  amount?: number;
  /** user_id = `${userPrefix}${n}`, n counting from 0 for this prefix. */
  userPrefix: string;
}

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

export async function runJoinLoad(load: JoinLoad): Promise<LoadRun> {
  let counter = 0;
  const latencies = new Samples();
  const statusCounts: Record<string, number> = {};
  let ok = 0;
  let firstAt = 0;
  let lastAt = 0;
  const eventJson = JSON.stringify(load.eventId);
  const started = performance.now();
  const result = await new Promise<{ errors: number; timeouts: number }>((done, fail) => {
    const instance = autocannon(
      {
        url: load.baseUrl,
        connections: load.connections,
        ...(load.amount ? { amount: load.amount } : { duration: load.duration ?? 10 }),
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: JOIN_PATH,
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({
              ...request,
              body: `{"user_id":"${load.userPrefix}${counter++}","event_id":${eventJson}}`,
            }),
          },
        ],
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
  // Throughput over the time responses were flowing (excludes connection set-up and the tail).
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
