/**
 * The gate and the identity check of joins (issue 24), each beside its baseline in the same run,
 * on a Redis of this benchmark's own:
 *
 *   - gate: GET /api/v1/waitroom/gate/:event_id with a valid pass cookie and X-Original-URL (the
 *     steady state of a protected site: the snapshot fresh, every check a 204), against a static
 *     node:http 204 with the same headers (the ceiling of a check that reads nothing); target
 *     >= 0.8x static. Also Redis commands per check (the refresh loop's, spread over the checks).
 *   - identity: joins to a paused event with join_identity_jwk, each with an identity token of its
 *     own (minted beforehand), against joins to the same kind of event without it; target: the
 *     check costs at most 10% of join throughput (>= 0.9x).
 * Targets and rounds are interleaved so noise on the box hits all of them alike.
 *
 *   npm run bench:gate -- [--connections=50] [--duration=8] [--rounds=2] [--joins=6000]
 *                         [--build=auto|always|never] [--cpu-prof=1]
 *
 * Writes bench-results/gate.json. Loopback only; everything it starts is stopped at the end.
 */
import { generateIdentityKeyPair, mintIdentityToken } from '@waitroom/gate';
import { readFileSync } from 'node:fs';
import {
  benchOptions,
  CpuMeter,
  fmt,
  httpJson,
  log,
  printTable,
  putEvent,
  ratio,
  runBenchmark,
  sleep,
  startStaticServer,
  waitForQuiet,
  writeResult,
} from './support/common';
import { JOIN_PATH, runLoad, type LoadRun } from './support/load';
import { serviceProfiler } from './support/cpuprofile-summary';
import { commandsProcessed, openOwnRedisRun, startServiceOn } from './support/own-redis';

const OPTIONS = benchOptions({ connections: 50, duration: 8, rounds: 2, joins: 6000 });
OPTIONS.rounds = Math.max(1, Math.round(OPTIONS.rounds));

interface Figures {
  perSecond: number;
  ok: number;
  requests: number;
  statusCounts: Record<string, number>;
  p50: number | null;
  p99: number | null;
  cpuUsPerRequest: number | null;
  redisCommandsPerRequest: number | null;
}

function figures(runs: { run: LoadRun; cpuMs: number | null; commands: number | null }[]): Figures {
  const ok = runs.reduce((sum, { run }) => sum + run.ok, 0);
  const seconds = runs.reduce((sum, { run }) => sum + run.flowingSeconds, 0);
  const cpuMs = runs.reduce((sum, { cpuMs: each }) => sum + (each ?? NaN), 0);
  const commands = runs.reduce((sum, { commands: each }) => sum + (each ?? NaN), 0);
  const statusCounts: Record<string, number> = {};
  for (const { run } of runs)
    for (const [status, count] of Object.entries(run.statusCounts))
      statusCounts[status] = (statusCounts[status] ?? 0) + count;
  const sorted = runs.flatMap(({ run }) => [...run.samples]).sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null;
  return {
    perSecond: ok / Math.max(1e-9, seconds),
    ok,
    requests: runs.reduce((sum, { run }) => sum + run.requests, 0),
    statusCounts,
    p50: at(0.5),
    p99: at(0.99),
    cpuUsPerRequest: Number.isFinite(cpuMs) ? (cpuMs * 1000) / Math.max(1, ok) : null,
    redisCommandsPerRequest: Number.isFinite(commands) ? commands / Math.max(1, ok) : null,
  };
}

async function main(): Promise<void> {
  const { redis, url, facts } = await openOwnRedisRun('gate-bench', OPTIONS);
  const profiler = serviceProfiler('gate-bench');
  const service = await startServiceOn(url, profiler.nodeArgs);
  const servicePid = service.child.pid!;

  // ---- gate: one admitted session; its token is the pass every check carries.
  const gateEvent = 'gate-ev';
  await putEvent(service.baseUrl, gateEvent, { capacity: 10, checkout_timeout_seconds: 3600 });
  const joined = await httpJson('POST', `${service.baseUrl}${JOIN_PATH}`, {
    user_id: 'g-1',
    event_id: gateEvent,
  });
  const sessionId = (joined.body as { session_id: string }).session_id;
  let token: string | null = null;
  for (let tries = 0; tries < 100 && !token; tries++) {
    const session = await httpJson(
      'GET',
      `${service.baseUrl}/api/v1/waitroom/sessions/${encodeURIComponent(sessionId)}`,
    );
    token = (session.body as { admission_token: string | null }).admission_token;
    if (!token) await sleep(100);
  }
  if (!token) throw new Error('the gate event admitted nobody');
  const gatePath = `/api/v1/waitroom/gate/${gateEvent}`;
  const gateHeaders = {
    cookie: `waitroom_pass=${token}`,
    'x-original-url': 'https://shop.example.com/checkout/cart',
  };
  const sample = await fetch(`${service.baseUrl}${gatePath}`, { headers: gateHeaders });
  if (sample.status !== 204) throw new Error(`gate: ${sample.status} ${await sample.text()}`);
  // The static answer: the gate's own headers (node:http adds date and keep-alive to both).
  const staticServer = await startStaticServer(
    204,
    [...sample.headers]
      .filter(([name]) => !['date', 'connection', 'keep-alive', 'transfer-encoding'].includes(name))
      .flat(),
  );
  const gateTargets = [
    { key: 'service', baseUrl: service.baseUrl, pid: servicePid },
    { key: 'static', baseUrl: staticServer.baseUrl, pid: staticServer.pid },
  ];
  const gateLoad = (baseUrl: string, duration: number) =>
    runLoad({
      baseUrl,
      connections: OPTIONS.connections,
      duration,
      request: { method: 'GET', path: gatePath, headers: gateHeaders },
    });
  for (const target of gateTargets) await gateLoad(target.baseUrl, 2); // warm-up
  const gateRuns = new Map(gateTargets.map((target) => [target.key, [] as Parameters<typeof figures>[0]]));
  const gateRounds: Record<string, number>[] = [];
  for (let round = 0; round < OPTIONS.rounds; round++) {
    await waitForQuiet(`gate round ${round + 1}`, 0.1);
    const rates: Record<string, number> = {};
    gateRounds.push(rates);
    for (let i = 0; i < gateTargets.length; i++) {
      const target = gateTargets[(i + round) % gateTargets.length];
      const before = await commandsProcessed(redis);
      const meter = new CpuMeter({ server: target.pid });
      const run = await gateLoad(target.baseUrl, OPTIONS.duration / OPTIONS.rounds);
      const { cpuMs } = meter.stop();
      const commands = (await commandsProcessed(redis)) - before - 1;
      gateRuns
        .get(target.key)!
        .push({ run, cpuMs: cpuMs.server, commands: target.key === 'service' ? commands : null });
      rates[target.key] = run.perSecond;
      log(
        `round ${round + 1}/${OPTIONS.rounds} gate ${target.key}: ${fmt(run.perSecond, 0)} checks/s ${JSON.stringify(run.statusCounts)}`,
      );
    }
  }
  const gate = Object.fromEntries([...gateRuns].map(([key, runs]) => [key, figures(runs)]));

  // ---- identity: joins with a token of their own vs joins to an event without a key.
  const site = await generateIdentityKeyPair('Ed25519');
  const perRound = Math.max(OPTIONS.connections, Math.round(OPTIONS.joins / OPTIONS.rounds));
  const events = { with: 'identity-on', without: 'identity-off' };
  await putEvent(service.baseUrl, events.with, {
    capacity: 1,
    state: 'paused',
    join_identity_jwk: site.publicJwk,
  });
  await putEvent(service.baseUrl, events.without, { capacity: 1, state: 'paused' });
  log(`minting ${perRound * OPTIONS.rounds} identity tokens`);
  const tokens: string[] = [];
  for (let i = 0; i < perRound * OPTIONS.rounds; i++)
    tokens.push(
      await mintIdentityToken({ privateJwk: site.privateJwk, userId: `id-${i}`, eventId: events.with }),
    );
  const joinLoad = (kind: 'with' | 'without', round: number) => {
    let next = round * perRound;
    return runLoad({
      baseUrl: service.baseUrl,
      connections: OPTIONS.connections,
      amount: perRound,
      request: {
        method: 'POST',
        path: JOIN_PATH,
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          const n = next++;
          const body =
            kind === 'with'
              ? { user_id: `id-${n}`, event_id: events.with, identity_token: tokens[n] }
              : { user_id: `id-${n}`, event_id: events.without };
          return { ...request, body: JSON.stringify(body) };
        },
      },
    });
  };
  // The service's main thread alone: the join path's own capacity once verification has cores
  // of its own (IDENTITY_VERIFY_THREADS worker threads), which this 2-core box cannot give it.
  const eventLoopMs = { with: 0, without: 0 };
  const joinRuns = {
    with: [] as Parameters<typeof figures>[0],
    without: [] as Parameters<typeof figures>[0],
  };
  for (let round = 0; round < OPTIONS.rounds; round++) {
    await waitForQuiet(`identity round ${round + 1}`, 0.1);
    for (const kind of round % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
      const meter = new CpuMeter({ server: servicePid });
      const eventLoopBefore = mainThreadCpuMs(servicePid);
      const run = await joinLoad(kind, round);
      const { cpuMs } = meter.stop();
      joinRuns[kind].push({ run, cpuMs: cpuMs.server, commands: null });
      eventLoopMs[kind] += mainThreadCpuMs(servicePid) - eventLoopBefore;
      log(
        `round ${round + 1}/${OPTIONS.rounds} joins ${kind} identity: ${fmt(run.perSecond, 0)} joins/s ${JSON.stringify(run.statusCounts)}`,
      );
    }
  }
  const joins = { with: figures(joinRuns.with), without: figures(joinRuns.without) };
  const eventLoopUsPerJoin = {
    with: (eventLoopMs.with * 1000) / Math.max(1, joins.with.ok),
    without: (eventLoopMs.without * 1000) / Math.max(1, joins.without.ok),
  };

  const ratios = {
    gateOverStatic: ratio(gate.service.perSecond, gate.static.perSecond),
    gateRounds: gateRounds.map((rates) => ratio(rates.service, rates.static)),
    joinsWithIdentityOverWithout: ratio(joins.with.perSecond, joins.without.perSecond),
    /** Joins/s of a join path bounded by its event loop (verification on spare cores): with ÷ without. */
    eventLoopJoinsWithIdentityOverWithout: ratio(eventLoopUsPerJoin.without, eventLoopUsPerJoin.with),
  };
  printTable(
    `Gate check (a valid pass, X-Original-URL), ${OPTIONS.connections} connections, ${OPTIONS.duration} s per server in ${OPTIONS.rounds} rounds`,
    ['server', 'checks/s', 'p50 ms', 'p99 ms', 'CPU µs/check', 'Redis cmds/check', 'x static'],
    (['service', 'static'] as const).map((key) => [
      key === 'service' ? 'service (gate)' : 'static node:http 204, same headers',
      fmt(gate[key].perSecond, 0),
      fmt(gate[key].p50),
      fmt(gate[key].p99),
      fmt(gate[key].cpuUsPerRequest, 0),
      fmt(gate[key].redisCommandsPerRequest),
      fmt(ratio(gate[key].perSecond, gate.static.perSecond)),
    ]),
  );
  printTable(
    `Joins with and without join_identity_jwk (each with its own token), ${perRound * OPTIONS.rounds} per kind, ${OPTIONS.connections} connections`,
    [
      'joins',
      'joins/s',
      'p50 ms',
      'p99 ms',
      'CPU µs/join',
      'main thread µs/join',
      'x without',
      'x without, main thread',
    ],
    (['with', 'without'] as const).map((kind) => [
      `${kind} identity`,
      fmt(joins[kind].perSecond, 0),
      fmt(joins[kind].p50),
      fmt(joins[kind].p99),
      fmt(joins[kind].cpuUsPerRequest, 0),
      fmt(eventLoopUsPerJoin[kind], 0),
      fmt(ratio(joins[kind].perSecond, joins.without.perSecond)),
      fmt(ratio(eventLoopUsPerJoin.without, eventLoopUsPerJoin[kind])),
    ]),
  );
  console.log(`ratios: ${JSON.stringify(ratios)}`);
  await service.stop();
  const serviceCpuProfile = profiler.report(log);
  log(
    `wrote ${writeResult('gate', { facts, options: OPTIONS, gate, joins, eventLoopUsPerJoin, ratios, serviceCpuProfile })}`,
  );
}

/**
 * CPU time of a process's main thread (its JavaScript event loop), in ms: Linux's per-thread
 * schedstat (nanoseconds on a CPU), where the main thread's id is the process's.
 */
function mainThreadCpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

runBenchmark(main);
