/**
 * Status polls and leaves (issue 12), each beside its baseline in the same run, on a Redis of
 * this benchmark's own (so its command counter sees one service and nothing else):
 *
 *   - poll: GET /sessions/:id over --sessions queued sessions of one paused event (the steady
 *     state of a queue: nobody moves), --connections at once, round-robin over the sessions →
 *     polls/s, p50/p99, the service's CPU per poll and Redis commands per poll
 *     (total_commands_processed delta / polls, the service's background work included), against
 *     a static node:http answer of the same body size (the ceiling of a poll that reads nothing),
 *     also with the service's own headers (the same bytes: only the work of answering differs),
 *     and, for reference, the bare node:http + ioredis server running the same get-session script.
 *   - leave: DELETE /sessions/:id, each of --leaves fresh queued sessions once, against the bare
 *     server running the same leave script.
 * Targets and rounds are interleaved so noise on the box hits all of them alike.
 *
 *   npm run bench:poll -- [--sessions=2000] [--connections=50] [--duration=12] [--rounds=3]
 *                         [--leaves=6000] [--build=auto|always|never] [--verbose=1]
 *
 * Writes bench-results/poll.json. Loopback only; everything it starts is stopped at the end.
 */
import {
  CpuMeter,
  Samples,
  benchOptions,
  fmt,
  httpJson,
  log,
  printTable,
  putEvent,
  ratio,
  runBenchmark,
  sleep,
  startBareJoinServer,
  startStaticServer,
  summarize,
  waitForQuiet,
  writeResult,
  type LatencySummary,
} from './support/common';
import { runPathLoad, type LoadRun } from './support/load';
import { appScripts, eventSettings, RedisKeys, upsertEvent } from './support/lua';
import { commandsProcessed, openOwnRedisRun, startServiceOn } from './support/own-redis';

const OPTIONS = benchOptions({ sessions: 2000, connections: 50, duration: 12, rounds: 3, leaves: 6000 });
OPTIONS.rounds = Math.max(1, Math.round(OPTIONS.rounds)); // whole rounds, at least one
const SESSIONS_PATH = '/api/v1/waitroom/sessions/';
const BARE_PREFIX = 'bare:';

interface Server {
  key: string;
  label: string;
  baseUrl: string;
  pid: number;
}

interface RunFigures {
  ok: number;
  requests: number;
  statusCounts: Record<string, number>;
  perSecond: number;
  latencyMs: LatencySummary;
  cpuUsPerRequest: number | null;
  redisCommands: number;
  redisCommandsPerRequest: number;
}

/** One poll or leave run: --connections at once (fewer when there are fewer requests). */
function pathLoad(
  baseUrl: string,
  method: 'GET' | 'DELETE',
  paths: string[],
  options: { duration: number } | { amount: number },
): Promise<LoadRun> {
  const connections = Math.min(
    OPTIONS.connections,
    'amount' in options ? options.amount : OPTIONS.connections,
  );
  return runPathLoad({ baseUrl, method, paths, connections, ...options });
}

/**
 * A node:http server that answers every request with the same bytes, `headers` (name, value
 * pairs) and `body`: the poll's ceiling.
 */
async function startStaticVariant(
  body: string,
  headers: string[],
  variant: { key: string; label: string },
): Promise<Server> {
  const { baseUrl, pid } = await startStaticServer(200, headers, body);
  return { ...variant, baseUrl, pid };
}

/** Joins `count` people through a server's HTTP join, 32 at a time; returns the session ids. */
async function joinMany(
  baseUrl: string,
  eventId: string,
  count: number,
  userPrefix: string,
): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const response = await httpJson('POST', `${baseUrl}/api/v1/waitroom/join`, {
        user_id: `${userPrefix}${index}`,
        event_id: eventId,
      });
      if (response.status !== 201)
        throw new Error(`join: ${response.status} ${JSON.stringify(response.body)}`);
      ids.push((response.body as { session_id: string }).session_id);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return ids;
}

class Accumulated {
  private readonly samples = new Samples();
  ok = 0;
  requests = 0;
  seconds = 0;
  cpuMs = 0;
  commands = 0;
  readonly statusCounts: Record<string, number> = {};

  add(run: LoadRun, cpuMs: number | null, commands: number): void {
    for (const value of run.samples) this.samples.push(value);
    this.ok += run.ok;
    this.requests += run.requests;
    this.seconds += run.flowingSeconds;
    this.cpuMs += cpuMs ?? NaN;
    this.commands += commands;
    for (const [status, count] of Object.entries(run.statusCounts))
      this.statusCounts[status] = (this.statusCounts[status] ?? 0) + count;
  }

  figures(): RunFigures {
    return {
      ok: this.ok,
      requests: this.requests,
      statusCounts: this.statusCounts,
      perSecond: this.ok / Math.max(1e-9, this.seconds),
      latencyMs: summarize(this.samples.values()),
      cpuUsPerRequest: Number.isFinite(this.cpuMs) ? (this.cpuMs * 1000) / Math.max(1, this.ok) : null,
      redisCommands: this.commands,
      redisCommandsPerRequest: this.commands / Math.max(1, this.ok),
    };
  }
}

async function main(): Promise<void> {
  const { redis, url, facts } = await openOwnRedisRun('poll-bench', OPTIONS);
  const service = await startServiceOn(url);
  const bare: Server = {
    key: 'bare',
    label: 'bare node:http + ioredis',
    ...(await startBareJoinServer(url, BARE_PREFIX)),
  };
  const svc: Server = { key: 'service', label: 'service', baseUrl: service.baseUrl, pid: service.child.pid! };

  // ---- poll: a paused event, --sessions queued.
  const pollEvent = 'poll-ev';
  await putEvent(service.baseUrl, pollEvent, { capacity: 1_000_000, state: 'paused' });
  log(`${pollEvent}: ${OPTIONS.sessions} joins`);
  const serviceIds = await joinMany(service.baseUrl, pollEvent, OPTIONS.sessions, 'p-');
  const sample = await fetch(
    `${service.baseUrl}${SESSIONS_PATH}${encodeURIComponent(serviceIds[OPTIONS.sessions >> 1])}`,
  );
  const sampleBody = await sample.text();
  if (sample.status !== 200) throw new Error(`GET session: ${sample.status} ${sampleBody}`);
  // The static answer: the same number of bytes (a copy of a real poll's body).
  const staticServer = await startStaticVariant(
    sampleBody,
    [
      'content-type',
      'application/json; charset=utf-8',
      'content-length',
      String(Buffer.byteLength(sampleBody)),
    ],
    { key: 'static', label: 'static node:http' },
  );
  // And the same answer byte for byte: the service's headers too (node:http adds date and
  // keep-alive to both), so only the work of answering differs.
  const staticSameHeaders = await startStaticVariant(
    sampleBody,
    [...sample.headers]
      .filter(([name]) => !['date', 'connection', 'keep-alive', 'transfer-encoding'].includes(name))
      .flat(),
    { key: 'staticHeaders', label: 'static node:http, same headers' },
  );
  // The bare server's own event and sessions (its keys under another prefix of the same Redis).
  const bareRedis = { redis, scripts: appScripts(), keys: new RedisKeys(BARE_PREFIX) };
  await upsertEvent(bareRedis, pollEvent, eventSettings(), false);
  const bareIds = await joinMany(bare.baseUrl, pollEvent, OPTIONS.sessions, 'p-');
  const pathsOf = (ids: string[]) => ids.map((id) => `${SESSIONS_PATH}${encodeURIComponent(id)}`);
  const pollTargets: { server: Server; paths: string[] }[] = [
    { server: svc, paths: pathsOf(serviceIds) },
    { server: staticServer, paths: pathsOf(serviceIds) },
    { server: staticSameHeaders, paths: pathsOf(serviceIds) },
    { server: bare, paths: pathsOf(bareIds) },
  ];

  // Redis's background rate with nobody polling (the scheduler, relay and sweeps of the service).
  const idleBefore = await commandsProcessed(redis);
  await sleep(3000);
  const idleCommandsPerSecond = ((await commandsProcessed(redis)) - idleBefore - 1) / 3;

  for (const target of pollTargets) {
    log(`${target.server.label}: warm-up`);
    await pathLoad(target.server.baseUrl, 'GET', target.paths, { duration: 2 });
  }
  const poll = new Map(pollTargets.map((target) => [target.server.key, new Accumulated()]));
  /** Each round's polls/s per server: the spread of service ÷ static across rounds shows the box's noise. */
  const pollRounds: Record<string, number>[] = [];
  for (let round = 0; round < OPTIONS.rounds; round++) {
    // As the join and relay benchmarks do: a round starts on a quiet box (a build, the previous
    // benchmark's broker work), so that what it measures is the servers, not their neighbours.
    // Stricter than their threshold: the idle box (Kafka, Redis, the idle servers) sits far below it.
    await waitForQuiet(`poll round ${round + 1}`, 0.1);
    const rates: Record<string, number> = {};
    pollRounds.push(rates);
    for (let i = 0; i < pollTargets.length; i++) {
      const target = pollTargets[(i + round) % pollTargets.length];
      const before = await commandsProcessed(redis);
      const meter = new CpuMeter({ server: target.server.pid });
      const run = await pathLoad(target.server.baseUrl, 'GET', target.paths, {
        duration: OPTIONS.duration / OPTIONS.rounds,
      });
      const { cpuMs } = meter.stop();
      const commands = (await commandsProcessed(redis)) - before - 1; // the INFO itself
      poll.get(target.server.key)!.add(run, cpuMs.server, commands);
      rates[target.server.key] = run.perSecond;
      log(
        `round ${round + 1}/${OPTIONS.rounds} poll ${target.server.label}: ${fmt(run.perSecond, 0)} polls/s` +
          (run.ok < run.requests ? ` (non-2xx: ${JSON.stringify(run.statusCounts)})` : ''),
      );
    }
  }
  const pollFigures = Object.fromEntries([...poll].map(([key, value]) => [key, value.figures()]));
  const pollRoundRatios = pollRounds.map((rates) => ratio(rates.service, rates.static));
  const pollRoundRatiosSameHeaders = pollRounds.map((rates) => ratio(rates.service, rates.staticHeaders));

  // ---- leave: fresh queued sessions, each left once.
  const leaveEvent = 'leave-ev';
  await putEvent(service.baseUrl, leaveEvent, { capacity: 1_000_000, state: 'paused' });
  await upsertEvent(bareRedis, leaveEvent, eventSettings(), false);
  const leave = new Map<string, Accumulated>([
    ['service', new Accumulated()],
    ['bare', new Accumulated()],
  ]);
  const perRound = Math.max(OPTIONS.connections, Math.round(OPTIONS.leaves / OPTIONS.rounds));
  for (let round = 0; round < OPTIONS.rounds; round++) {
    for (const target of round % 2 === 0 ? [svc, bare] : [bare, svc]) {
      const ids = await joinMany(target.baseUrl, leaveEvent, perRound, `l${round}-`);
      await sleep(500);
      const before = await commandsProcessed(redis);
      const meter = new CpuMeter({ server: target.pid });
      const run = await pathLoad(target.baseUrl, 'DELETE', pathsOf(ids), { amount: ids.length });
      const { cpuMs } = meter.stop();
      const commands = (await commandsProcessed(redis)) - before - 1;
      leave.get(target.key)!.add(run, cpuMs.server, commands);
      log(
        `round ${round + 1}/${OPTIONS.rounds} leave ${target.label}: ${fmt(run.perSecond, 0)} leaves/s` +
          (run.ok < run.requests ? ` (non-2xx: ${JSON.stringify(run.statusCounts)})` : ''),
      );
    }
  }
  const leaveFigures = Object.fromEntries([...leave].map(([key, value]) => [key, value.figures()]));

  const ratios = {
    pollServiceOverStatic: ratio(pollFigures.service.perSecond, pollFigures.static.perSecond),
    pollServiceOverStaticSameHeaders: ratio(
      pollFigures.service.perSecond,
      pollFigures.staticHeaders.perSecond,
    ),
    pollStaticSameHeadersOverStatic: ratio(pollFigures.staticHeaders.perSecond, pollFigures.static.perSecond),
    pollServiceOverBare: ratio(pollFigures.service.perSecond, pollFigures.bare.perSecond),
    pollBareOverStatic: ratio(pollFigures.bare.perSecond, pollFigures.static.perSecond),
    leaveServiceOverBare: ratio(leaveFigures.service.perSecond, leaveFigures.bare.perSecond),
  };
  const rows = (figures: Record<string, RunFigures>, labels: Record<string, string>, base: string) =>
    Object.entries(labels).map(([key, label]) => {
      const run = figures[key];
      return [
        label,
        fmt(run.perSecond, 0),
        fmt(run.latencyMs.p50),
        fmt(run.latencyMs.p99),
        fmt(run.cpuUsPerRequest, 0),
        fmt(run.redisCommandsPerRequest),
        fmt(ratio(run.perSecond, figures[base].perSecond)),
      ];
    });
  printTable(
    `Status poll: ${OPTIONS.sessions} queued sessions (event paused), ${OPTIONS.connections} connections, ${OPTIONS.duration} s per server in ${OPTIONS.rounds} rounds; body ${sampleBody.length} B`,
    ['server', 'polls/s', 'p50 ms', 'p99 ms', 'CPU µs/poll', 'Redis cmds/poll', 'x static'],
    rows(
      pollFigures,
      {
        service: 'service',
        bare: 'bare node:http + ioredis',
        static: 'static node:http',
        staticHeaders: 'static node:http, same headers',
      },
      'static',
    ),
  );
  console.log(
    `service ÷ static per round: ${pollRoundRatios.map((value) => fmt(value)).join(', ')}; ` +
      `÷ static with the same headers: ${pollRoundRatiosSameHeaders.map((value) => fmt(value)).join(', ')} ` +
      '(the table: all rounds together)',
  );
  console.log(
    `Redis with nobody polling: ${fmt(idleCommandsPerSecond)} commands/s (the service's background work)`,
  );
  printTable(
    `Leave: ${perRound * OPTIONS.rounds} queued sessions per server, each DELETEd once, ${OPTIONS.connections} connections`,
    ['server', 'leaves/s', 'p50 ms', 'p99 ms', 'CPU µs/leave', 'Redis cmds/leave', 'x bare'],
    rows(leaveFigures, { service: 'service', bare: 'bare node:http + ioredis' }, 'bare'),
  );
  console.log(`ratios: ${JSON.stringify(ratios)}`);
  log(
    `wrote ${writeResult('poll', {
      facts,
      options: OPTIONS,
      bodyBytes: Buffer.byteLength(sampleBody),
      idleCommandsPerSecond,
      poll: pollFigures,
      pollRounds: pollRounds.map((rates, index) => ({
        ...rates,
        serviceOverStatic: pollRoundRatios[index],
        serviceOverStaticSameHeaders: pollRoundRatiosSameHeaders[index],
      })),
      leave: leaveFigures,
      ratios,
    })}`,
  );
}

runBenchmark(main);
