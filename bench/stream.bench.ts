/**
 * Live-stream fan-out: what open SSE streams (GET /sessions/:id/stream) cost one service
 * instance (the built dist) on a Redis of this benchmark's own.
 *
 * For each size in --streams (default 2000,10000), in the same run:
 *   - `streams`: that many people queued on one open event (admissions at --rate per minute, so
 *     positions move every tick), each with an open stream; measured over --window seconds:
 *     the service's CPU (share of one core), Redis commands/s, session messages delivered/s.
 *   - `polling` (the baseline, for the first size only): the same number of clients reading
 *     GET /sessions/:id once a second each, which is what the previous stream did per stream
 *     inside the service (one get-session script per stream per second).
 * Then the delivery delay: with the event paused, the person at the head leaves; the time until
 * each stream receives its new position (p50/p99/max), against the tick (STREAM_TICK_MS, 1 s).
 *
 *   npm run bench:stream -- [--streams=2000,10000] [--window=15] [--rate=600]
 *
 * Writes bench-results/stream.json. Loopback only; everything it starts is stopped at the end.
 */
import { Agent, request, type ClientRequest } from 'node:http';
import {
  ADMIN_KEY,
  benchOptions,
  fmt,
  getEvent,
  httpJson,
  log,
  printTable,
  putEvent,
  runBenchmark,
  sleep,
  summarize,
  writeResult,
  type ServiceProcess,
} from './support/common';
import { measureWindow, openOwnRedisRun, startServiceOn } from './support/own-redis';

const OPTIONS = benchOptions({ streams: [2000, 10_000], window: 15, rate: 600 });

interface Row {
  mode: 'streams' | 'polling';
  clients: number;
  serviceCores: number;
  redisCommandsPerSecond: number;
  updatesPerSecond: number;
}

/** Open SSE streams with minimal parsing: counts session events and notes when each arrived. */
class StreamFleet {
  readonly requests: ClientRequest[] = [];
  messages = 0;
  /** Per stream: when it last received a session event (performance.now()). */
  readonly lastMessageAt: number[] = [];
  private readonly agent = new Agent({ keepAlive: false, maxSockets: Infinity });

  constructor(private readonly baseUrl: string) {}

  async open(sessionIds: string[]): Promise<void> {
    const url = new URL(this.baseUrl);
    let opened = 0;
    await new Promise<void>((resolve, reject) => {
      for (let i = 0; i < sessionIds.length; i++) {
        const index = this.lastMessageAt.push(0) - 1;
        const req = request(
          {
            agent: this.agent,
            host: url.hostname,
            port: url.port,
            path: `/api/v1/waitroom/sessions/${encodeURIComponent(sessionIds[i])}/stream`,
          },
          (res) => {
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              let at = chunk.indexOf('event: session');
              while (at >= 0) {
                this.messages++;
                this.lastMessageAt[index] = performance.now();
                at = chunk.indexOf('event: session', at + 1);
              }
            });
            res.on('error', () => undefined);
            if (++opened === sessionIds.length) resolve();
          },
        );
        req.on('error', reject);
        req.end();
        this.requests.push(req);
      }
    });
  }

  close(): void {
    for (const req of this.requests) req.destroy();
    this.agent.destroy();
  }
}

async function joinMany(service: ServiceProcess, eventId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, (_, j) =>
        httpJson(
          'POST',
          `${service.baseUrl}/api/v1/waitroom/join`,
          { user_id: `s-${i + j}`, event_id: eventId },
          { 'x-api-key': ADMIN_KEY },
        ),
      ),
    );
    for (const response of batch) {
      if (response.status !== 201)
        throw new Error(`join: ${response.status} ${JSON.stringify(response.body)}`);
      ids.push((response.body as { session_id: string }).session_id);
    }
  }
  return ids;
}

/** The baseline: every client reads its session once a second (what one old stream did in the service). */
async function pollOncePerSecond(
  service: ServiceProcess,
  sessionIds: string[],
  until: () => boolean,
  onAnswer: () => void,
): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const url = new URL(service.baseUrl);
  const one = (sessionId: string) =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: `/api/v1/waitroom/sessions/${encodeURIComponent(sessionId)}`,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            onAnswer();
            resolve();
          });
        },
      );
      req.on('error', () => resolve());
      req.end();
    });
  const started = performance.now();
  for (let round = 0; !until(); round++) {
    // Each client once per second, spread evenly over the second.
    const roundStart = started + round * 1000;
    await Promise.all(
      sessionIds.map(async (sessionId, i) => {
        const due = roundStart + (i / sessionIds.length) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        await one(sessionId);
      }),
    );
  }
  agent.destroy();
}

runBenchmark(async () => {
  const { redis, url } = await openOwnRedisRun('stream-bench', OPTIONS);
  const service = await startServiceOn(url);
  const rows: Row[] = [];
  let delivery: ReturnType<typeof summarize> | null = null;

  for (const [index, size] of OPTIONS.streams.entries()) {
    const eventId = `stream-${size}`;
    // Capacity huge and a rate: admissions move every position every tick (the busiest case).
    await putEvent(service.baseUrl, eventId, {
      capacity: 1_000_000,
      admission_rate_per_minute: OPTIONS.rate,
      state: 'paused',
    });
    log(`${eventId}: ${size} joins`);
    // A long queue, so the watched people stay queued through the windows.
    const ids = await joinMany(service, eventId, size + Math.ceil((OPTIONS.rate / 60) * OPTIONS.window * 3));
    const watched = ids.slice(-size);

    if (index === 0) {
      await putEvent(service.baseUrl, eventId, {
        capacity: 1_000_000,
        admission_rate_per_minute: OPTIONS.rate,
        state: 'open',
      });
      let answers = 0;
      let done = false;
      log(`baseline: ${size} clients polling GET /sessions/:id once a second`);
      const polling = pollOncePerSecond(
        service,
        watched,
        () => done,
        () => answers++,
      );
      await sleep(2000);
      const measured = await measureWindow(redis, service.child.pid!, OPTIONS.window, () => answers);
      done = true;
      await polling;
      rows.push({
        mode: 'polling',
        clients: size,
        serviceCores: measured.cores,
        redisCommandsPerSecond: measured.commandsPerSecond,
        updatesPerSecond: measured.perSecond,
      });
      await putEvent(service.baseUrl, eventId, {
        capacity: 1_000_000,
        admission_rate_per_minute: OPTIONS.rate,
        state: 'paused',
      });
    }

    log(`${size} open streams`);
    const fleet = new StreamFleet(service.baseUrl);
    await fleet.open(watched);
    await sleep(3000);
    await putEvent(service.baseUrl, eventId, {
      capacity: 1_000_000,
      admission_rate_per_minute: OPTIONS.rate,
      state: 'open',
    });
    await sleep(2000);
    const measured = await measureWindow(redis, service.child.pid!, OPTIONS.window, () => fleet.messages);
    rows.push({
      mode: 'streams',
      clients: size,
      serviceCores: measured.cores,
      redisCommandsPerSecond: measured.commandsPerSecond,
      updatesPerSecond: measured.perSecond,
    });

    if (index === OPTIONS.streams.length - 1) {
      // Delivery delay: paused, then the head leaves; every stream's position falls by one.
      await putEvent(service.baseUrl, eventId, {
        capacity: 1_000_000,
        admission_rate_per_minute: OPTIONS.rate,
        state: 'paused',
      });
      await sleep(3000);
      const event = (await getEvent(service.baseUrl, eventId)) as {
        stats: { queue_length: number; admitted_total: number };
      };
      // Nobody left: the people admitted are the first joiners, so the next one heads the queue.
      const head = ids[event.stats.admitted_total];
      const leftAt = performance.now();
      await httpJson('DELETE', `${service.baseUrl}/api/v1/waitroom/sessions/${encodeURIComponent(head)}`);
      await sleep(5000);
      const delays = fleet.lastMessageAt.filter((at) => at > leftAt).map((at) => at - leftAt);
      log(
        `delivery: ${delays.length} of ${size} streams updated within 5 s (queue ${event.stats.queue_length})`,
      );
      delivery = summarize(delays);
    }
    fleet.close();
    await sleep(2000);
  }

  printTable(
    `Stream fan-out, one instance, ${OPTIONS.window} s windows, positions moving every tick (${OPTIONS.rate} admissions/min)`,
    [
      'mode',
      'clients',
      'service CPU (cores)',
      'Redis commands/s',
      'Redis commands/s per client',
      'updates/s',
    ],
    rows.map((row) => [
      row.mode === 'polling' ? 'GET once a second (old stream)' : 'SSE streams (snapshot)',
      row.clients,
      fmt(row.serviceCores, 3),
      fmt(row.redisCommandsPerSecond, 0),
      fmt(row.redisCommandsPerSecond / row.clients, 3),
      fmt(row.updatesPerSecond, 0),
    ]),
  );
  if (delivery)
    log(
      `delivery of a position change: p50 ${fmt(delivery.p50, 0)} ms, p99 ${fmt(delivery.p99, 0)} ms, max ${fmt(delivery.max, 0)} ms`,
    );
  writeResult('stream', { windowSeconds: OPTIONS.window, rate: OPTIONS.rate, rows, deliveryMs: delivery });
});
