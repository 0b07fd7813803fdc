/**
 * `make bench`: every benchmark of issue 12 in one bounded run (about 10 minutes on a 2-core
 * box), loopback only, each beside its baseline in the same run:
 *
 *   join     bench/join.bench.ts (short options): service with the relay publishing vs the bare
 *            node:http + ioredis server running the same join Lua, and vs a minimal join (the
 *            least a join must do: bench/support/minimal-join.lua); p99 at 1k vs 1M queued;
 *            Redis bytes per queued session
 *   relay    bench/relay.bench.ts (short options): outbox relay vs raw kafkajs sendBatch
 *   poll     bench/poll.bench.ts: GET /sessions/:id vs a static node:http answer of the same
 *            size (and the bare server), Redis commands per poll; DELETE vs the bare server
 *   stream   bench/stream.bench.ts (short options): SSE fan-out vs clients polling once a second
 *   sale     bench/sale.bench.ts: a mixed realistic sale with the checkout simulator
 *   idle     bench/idle.bench.ts (short options): what idle, removed and quiet events (people
 *            waiting, nothing happening) cost one instance; QUEUE_JOINED latency at rest
 *   gate     bench/gate.bench.ts: the gate check vs a static 204 with the same headers; joins
 *            with an identity token vs joins without (the process and its main thread)
 *   replicated  bench/replicated.bench.ts: joins with REDIS_WAIT_REPLICAS=1 vs 0 on a master with
 *            a replica of its own
 *   sharded  bench/sharded.bench.ts: one event with shards: 3 vs the same event unsharded, through
 *            the service on a 3-master Redis Cluster of its own: Redis CPU per join by master, ceiling
 *   ceiling  (here) Redis's own ceiling for the join and get-session scripts: pipelined EVALSHA
 *            from one client against a Redis of its own (one event's keys share one slot, so
 *            this is the per-event ceiling)
 *
 * Fail-soft: a benchmark that fails is reported as failed in the JSON and the table; the others
 * still run. Writes bench-results/suite.json, then regenerates BENCHMARKS.md (repo root),
 * docs/bench-suite.svg and docs/bench-suite.json.
 *
 *   npm run bench:suite -- [--only=join,relay,poll,stream,sale,idle,gate,replicated,sharded,ceiling] [--render-only=1]
 *   (make bench runs it under `flock /tmp/waitroom-bench.lock` so no two benchmarks overlap)
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  RESULTS_DIR,
  ROOT,
  connectRedis,
  ensureBuilt,
  environmentFacts,
  fmt,
  log,
  option,
  processCpuMs,
  runBenchmark,
  writeResult,
} from './support/common';
import {
  appScripts,
  eventSettings,
  loadIntoRedis,
  prefillJoins,
  RedisKeys,
  script,
  upsertEvent,
} from './support/lua';
import { startOwnRedis } from './support/own-redis';
import { getSessionScript } from '../apps/waitroom/src/queue/queue.scripts';

const ONLY = new Set(
  option('only', 'join,relay,poll,stream,sale,idle,gate,replicated,sharded,ceiling').split(','),
);
const RENDER_ONLY = option('render-only', '') !== '';
const SUITE_JSON = join(RESULTS_DIR, 'suite.json');

/** Each child benchmark with the options that keep the suite near 10 minutes. */
const CHILDREN: { name: string; file: string; args: string[]; timeoutS: number }[] = [
  {
    name: 'join',
    file: 'bench/join.bench.ts',
    args: [
      '--duration=9',
      '--rounds=3',
      '--warmup=2',
      '--phases=memory,minimal,bare,bare-coalesced,service,flat',
      '--flat-sizes=1000,1000000',
      '--flat-requests=8000',
      '--flat-rounds=4',
      '--mem-sessions=50000',
      '--quiet-wait=20',
    ],
    timeoutS: 330,
  },
  {
    name: 'relay',
    file: 'bench/relay.bench.ts',
    // 50,000 messages: a drain of 20,000 lasted under a second, too short for a steady rate.
    // Seven rounds of raw send then drain: the median round is reported. Single rounds spread
    // widely on two shared cores (the broker, Redis and the relay take turns on them).
    args: ['--n=50000', '--rounds=7', '--ready-n=5000', '--phases=baseline,drain', '--quiet-wait=20'],
    timeoutS: 300,
  },
  {
    name: 'poll',
    file: 'bench/poll.bench.ts',
    // Six rounds of 5 s per server: short windows of one server spread widely on two shared
    // cores (docs/benchmarks.md, "Eighth round").
    args: ['--sessions=2000', '--duration=30', '--rounds=6', '--leaves=6000', '--quiet-wait=20'],
    timeoutS: 300,
  },
  { name: 'stream', file: 'bench/stream.bench.ts', args: ['--streams=2000', '--window=8'], timeoutS: 180 },
  {
    name: 'sale',
    file: 'bench/sale.bench.ts',
    args: ['--people=3000', '--arrival=20', '--duration=90'],
    timeoutS: 240,
  },
  {
    name: 'idle',
    file: 'bench/idle.bench.ts',
    args: ['--events=200', '--window=10', '--quiet-events=200', '--quiet-people=20', '--probe-joins=200'],
    timeoutS: 240,
  },
  {
    name: 'gate',
    file: 'bench/gate.bench.ts',
    args: ['--duration=6', '--rounds=4', '--joins=4000', '--quiet-wait=20'],
    timeoutS: 240,
  },
  {
    name: 'replicated',
    file: 'bench/replicated.bench.ts',
    args: ['--duration=16', '--rounds=4', '--warmup=2'],
    timeoutS: 180,
  },
  {
    name: 'sharded',
    file: 'bench/sharded.bench.ts',
    // A hundred connections: a sale that needs shards has many joins at once, and shard 0 numbers
    // the joins of a few milliseconds in one call (queue/arrivals.ts); at 40 the calls are smaller.
    args: ['--duration=8', '--rounds=3', '--connections=100'],
    timeoutS: 240,
  },
];

interface StepResult {
  name: string;
  ok: boolean;
  seconds: number;
  command: string;
  error?: string;
  result?: Record<string, any>;
}

/** Runs one benchmark as a child process (its output shown with a prefix), then reads its JSON. */
async function runChild(child: (typeof CHILDREN)[number]): Promise<StepResult> {
  const args = [
    '-r',
    'tsconfig-paths/register',
    '--transpile-only',
    child.file,
    ...child.args,
    '--build=never',
  ];
  const command = `npx ts-node ${args.join(' ')}`;
  const started = Date.now();
  log(`== ${child.name}: ${command}`);
  const tail: string[] = [];
  const code = await new Promise<number | string>((done) => {
    const process_ = spawn(join(ROOT, 'node_modules/.bin/ts-node'), args, {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => {
      tail.push(`timed out after ${child.timeoutS} s`);
      process_.kill('SIGTERM');
      setTimeout(() => process_.kill('SIGKILL'), 20000).unref();
    }, child.timeoutS * 1000);
    const show = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        console.log(`  [${child.name}] ${line}`);
        tail.push(line);
        if (tail.length > 15) tail.shift();
      }
    };
    process_.stdout.on('data', show);
    process_.stderr.on('data', show);
    process_.once('exit', (exitCode, signal) => {
      clearTimeout(timer);
      done(exitCode ?? signal ?? 'unknown');
    });
  });
  const seconds = (Date.now() - started) / 1000;
  const file = join(RESULTS_DIR, `${child.name}.json`);
  const fresh = existsSync(file) && statSync(file).mtimeMs >= started;
  if (code !== 0 || !fresh) {
    return {
      name: child.name,
      ok: false,
      seconds,
      command,
      error: `exit ${code}${fresh ? '' : ', no fresh result file'}: ${tail.slice(-5).join(' | ')}`,
    };
  }
  return { name: child.name, ok: true, seconds, command, result: JSON.parse(readFileSync(file, 'utf8')) };
}

/** Pipelined EVALSHA from one client against a Redis of our own: the scripts' own ceiling. */
async function ceiling(): Promise<StepResult> {
  const started = Date.now();
  const command = 'bench/suite.ts (in process): pipelined EVALSHA, one client, own redis-server';
  log(`== ceiling: ${command}`);
  try {
    const { redis, pid } = await startOwnRedis('ceiling');
    const scripts = appScripts();
    await loadIntoRedis(redis, scripts);
    const keys = new RedisKeys('wr:');
    const eventId = 'ceiling';
    const eventKeys = keys.forEvent(eventId);
    await upsertEvent({ redis, scripts, keys }, eventId, eventSettings(), false);
    const joins = 200_000;
    await prefillJoins(redis, script(scripts, 'join'), eventKeys, 20_000, {
      userPrefix: 'warm-',
      dropOutbox: true,
    });
    const cpu0 = processCpuMs(pid);
    const fill = await prefillJoins(redis, script(scripts, 'join'), eventKeys, joins, {
      userPrefix: 'u-',
      dropOutbox: true,
      chunk: 1000,
      inFlight: 4,
    });
    const joinRedisCores = cpu0 === null ? null : (processCpuMs(pid)! - cpu0) / fill.ms;
    // get-session over queued members spread through the queue.
    const members = await redis.zrange(eventKeys.queue, 0, -1);
    const getSession = script(scripts, 'get-session');
    const reads = 300_000;
    let next = 0;
    const cpu1 = processCpuMs(pid);
    const readStarted = performance.now();
    const worker = async () => {
      while (next < reads) {
        const size = Math.min(1000, reads - next);
        const from = next;
        next += size;
        const pipeline = redis.pipeline();
        for (let i = 0; i < size; i++) {
          const call = getSessionScript.build({
            keys: eventKeys,
            memberId: members[((from + i) * 7919) % members.length].split(':').pop()!,
          });
          pipeline.evalsha(getSession.sha, call.keys.length, ...call.keys, ...call.args);
        }
        for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    const readMs = performance.now() - readStarted;
    const getRedisCores = cpu1 === null ? null : (processCpuMs(pid)! - cpu1) / readMs;
    const getPerSecond = (reads / readMs) * 1000;
    const check = await redis.evalsha(
      getSession.sha,
      getSession.numberOfKeys,
      ...getSessionScript.build({ keys: eventKeys, memberId: members[5].split(':').pop()! }).keys,
      members[5].split(':').pop()!,
    );
    if (!Array.isArray(check) || check[0] !== 'OK')
      throw new Error(`get-session probe: ${JSON.stringify(check)}`);
    return {
      name: 'ceiling',
      ok: true,
      seconds: (Date.now() - started) / 1000,
      command,
      result: {
        queued: joins + 20_000,
        joinScriptsPerSecond: fill.perSecond,
        joinRedisCores,
        getSessionScriptsPerSecond: getPerSecond,
        getSessionRedisCores: getRedisCores,
        /** Waiters one event can hold when each polls every 5 s and every poll runs get-session. */
        waitersAt5sPollPerEvent: getPerSecond * 5,
      },
    };
  } catch (error) {
    return {
      name: 'ceiling',
      ok: false,
      seconds: (Date.now() - started) / 1000,
      command,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

// ------------------------------------------------------------------ report

interface Target {
  id: string;
  label: string;
  /** The figure, and the target it is held against; `atMost` for "lower is better". */
  value: number | null;
  target: number;
  direction: 'atLeast' | 'atMost';
  unit: string;
  source: string;
}

function targets(steps: Record<string, StepResult>): Target[] {
  const r = (name: string) => (steps[name]?.ok ? steps[name].result! : undefined);
  const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
  const joinResult = r('join');
  const memory = (joinResult?.memory as { memoryUsageBytes: { perSession: number } }[] | undefined)?.[0];
  return [
    {
      id: 'poll-static',
      label: 'poll ÷ static, type and length only',
      value: num(r('poll')?.ratios?.pollServiceOverStatic),
      target: 0.9,
      direction: 'atLeast',
      unit: 'x',
      source: 'poll',
    },
    {
      id: 'poll-static-same-bytes',
      label: 'poll ÷ static, the same bytes',
      value: num(r('poll')?.ratios?.pollServiceOverStaticSameHeaders),
      target: 0.9,
      direction: 'atLeast',
      unit: 'x',
      source: 'poll',
    },
    {
      id: 'poll-commands',
      label: 'Redis commands per poll',
      value: num(r('poll')?.poll?.service?.redisCommandsPerRequest),
      target: 0.05,
      direction: 'atMost',
      unit: '',
      source: 'poll',
    },
    {
      id: 'join-bare',
      label: 'join ÷ bare (relay publishing)',
      value: num(joinResult?.ratios?.serviceOverBareThroughput),
      target: 0.8,
      direction: 'atLeast',
      unit: 'x',
      source: 'join',
    },
    {
      id: 'join-minimal',
      label: 'join ÷ minimal join (relay publishing)',
      value: num(joinResult?.ratios?.serviceOverMinimalThroughput),
      target: 0.6,
      direction: 'atLeast',
      unit: 'x',
      source: 'join',
    },
    {
      id: 'join-minimal-redis',
      label: 'Redis CPU per join ÷ minimal join',
      value: num(joinResult?.ratios?.serviceOverMinimalRedisCpuPerJoin),
      target: 1.5,
      direction: 'atMost',
      unit: 'x',
      source: 'join',
    },
    {
      id: 'quiet-event-commands',
      label: 'Redis commands/s per quiet event',
      value: num(r('idle')?.perQuietEvent?.commandsPerSecond),
      target: 10,
      direction: 'atMost',
      unit: '',
      source: 'idle',
    },
    {
      id: 'joined-latency-at-rest',
      label: 'QUEUE_JOINED p99 at rest (ms)',
      value: num(r('idle')?.joinedLatency?.p99),
      target: 100,
      direction: 'atMost',
      unit: '',
      source: 'idle',
    },
    {
      id: 'gate-static',
      label: 'gate check ÷ static 204',
      value: num(r('gate')?.ratios?.gateOverStatic),
      target: 0.8,
      direction: 'atLeast',
      unit: 'x',
      source: 'gate',
    },
    {
      id: 'identity-joins',
      label: 'joins with an identity token ÷ without',
      value: num(r('gate')?.ratios?.joinsWithIdentityOverWithout),
      target: 0.9,
      direction: 'atLeast',
      unit: 'x',
      source: 'gate',
    },
    {
      id: 'sharded-per-join',
      label: "sharded event: busiest master's Redis CPU per join it holds ÷ unsharded",
      value: num(r('sharded')?.perJoinRatio),
      target: 1.2,
      direction: 'atMost',
      unit: 'x',
      source: 'sharded',
    },
    {
      id: 'sharded-ceiling',
      label: 'sharded event (3 shards): ceiling ÷ unsharded',
      value: num(r('sharded')?.ceilingRatio),
      target: 2.5,
      direction: 'atLeast',
      unit: 'x',
      source: 'sharded',
    },
    {
      id: 'relay-raw',
      label: 'relay ÷ raw sendBatch',
      value: num(r('relay')?.ratios?.relayOverRawJoined),
      target: 0.8,
      direction: 'atLeast',
      unit: 'x',
      source: 'relay',
    },
    {
      id: 'join-flat',
      label: 'join p99, 1M ÷ 1k queued',
      value: num(joinResult?.ratios?.flatP99LargestOverSmallest),
      target: 1.25,
      direction: 'atMost',
      unit: 'x',
      source: 'join',
    },
    {
      id: 'memory',
      label: 'Redis bytes per queued session',
      value: num(memory?.memoryUsageBytes.perSession),
      target: 450,
      direction: 'atMost',
      unit: 'B',
      source: 'join',
    },
  ];
}

const met = (t: Target) =>
  t.value === null ? null : t.direction === 'atLeast' ? t.value >= t.target : t.value <= t.target;
const metText = (t: Target) => (met(t) === null ? 'not measured' : met(t) ? 'met' : 'not met');
const figure = (value: number | null, unit: string) =>
  value === null ? '-' : `${fmt(value, value < 0.1 ? 3 : 2)}${unit === 'B' ? ' B' : unit}`;

/** The first cells of a measured run's row: its label, rate and p50/p99 latency. */
const rateCells = (label: string, m: any) => [
  label,
  fmt(m.perSecond, 0),
  fmt(m.latencyMs.p50),
  fmt(m.latencyMs.p99),
];

function markdown(suite: Record<string, any>): string {
  const steps = suite.steps as Record<string, StepResult>;
  const r = (name: string) => (steps[name]?.ok ? steps[name].result! : undefined);
  const facts = suite.facts as Record<string, any>;
  const lines: string[] = [];
  const table = (header: string[], rows: (string | number)[][]) => {
    lines.push(
      `| ${header.join(' | ')} |`,
      `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    );
    for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
    lines.push('');
  };
  /** A benchmark's section: its heading, a note when it failed or did not run, and its result. */
  const section = (heading: string, name: string) => {
    lines.push(`## ${heading}`, '');
    if (steps[name] && !steps[name].ok) lines.push(`**Failed in this run:** ${steps[name].error}`, '');
    else if (!steps[name]) lines.push('Not run in this run.', '');
    return r(name);
  };
  lines.push(
    '# Benchmarks',
    '',
    '<!-- Generated by bench/suite.ts (`make bench`); do not edit by hand. -->',
    '',
    `Command: \`make bench\` (\`flock /tmp/waitroom-bench.lock npm run bench:suite\`), run ${facts.date} in ${fmt(suite.seconds / 60, 1)} minutes ` +
      `on ${facts.cpus} × ${facts.cpuModel}, Node ${facts.node}, Redis ${facts.redisVersion}, commit \`${suite.commit}\`` +
      (facts.uncommittedAppFiles
        ? ` (${facts.uncommittedAppFiles} uncommitted files under apps/ libs/)`
        : '') +
      '. Loopback only; the load generator shares the 2 cores with what it measures, so ratios against a baseline ' +
      'measured in the same run matter more than absolute figures. Raw figures: [docs/bench-suite.json](docs/bench-suite.json); ' +
      'the per-benchmark write-ups and earlier runs: [docs/benchmarks.md](docs/benchmarks.md).',
    '',
    '![Each figure against its target](docs/bench-suite.svg)',
    '',
    '## Targets',
    '',
  );
  table(
    ['target', 'measured', 'goal', 'status', 'from'],
    (suite.targets as Target[]).map((t) => [
      t.label,
      figure(t.value, t.unit),
      `${t.direction === 'atLeast' ? '≥' : '≤'} ${t.target}${t.unit === 'B' ? ' B' : t.unit}`,
      metText(t),
      t.source,
    ]),
  );
  lines.push(
    '"Flat" is read as a 1M/1k p99 ratio of at most 1.25 (this box\'s run-to-run noise is about ±25%). ' +
      'Bytes per session: MEMORY USAGE of the session hash, user index and queue entry of an event without idle timeout.',
    '',
  );

  const j = section('Join', 'join');
  if (j) {
    const row = (label: string, m: any, base: any) => [
      ...rateCells(label, m),
      fmt(m.cpuUsPerJoin?.server, 0),
      base ? fmt(m.perSecond / base.perSecond) : '1.00',
    ];
    table(
      ['server', 'joins/s', 'p50 ms', 'p99 ms', 'CPU µs/join', '× bare'],
      [
        ...(j.minimal ? [row('minimal join (the least a join must do)', j.minimal, j.bare)] : []),
        row('bare node:http + ioredis (same Lua)', j.bare, null),
        row('service, relay publishing', j.service, j.bare),
        ...(j.serviceRelayIdle
          ? [row('service, relay leased elsewhere (not publishing)', j.serviceRelayIdle, j.bare)]
          : []),
        ...(j.bareCoalesced
          ? [row('bare + coalesced writes, as the service (what-if)', j.bareCoalesced, j.bare)]
          : []),
      ],
    );
    if (j.minimal && j.service)
      lines.push(
        `Against the minimal join: the service makes ${fmt(j.service.perSecond / j.minimal.perSecond)}× its joins/s, ` +
          `with ${fmt(j.service.cpuUsPerJoin?.redis / j.minimal.cpuUsPerJoin?.redis)}× its Redis CPU per join ` +
          `(${fmt(j.service.cpuUsPerJoin?.redis, 0)} vs ${fmt(j.minimal.cpuUsPerJoin?.redis, 0)} µs; the service's figure includes the relay's share).`,
        '',
      );
    if (Array.isArray(j.flat) && j.flat.length > 0)
      table(
        ['queued', 'joins/s', 'p50 ms', 'p99 ms', 'p99 × 1k', 'script p50 µs'],
        j.flat.map((f: any) => [
          f.size.toLocaleString('en-US'),
          fmt(f.perSecond, 0),
          fmt(f.latencyMs.p50),
          fmt(f.latencyMs.p99),
          fmt(f.latencyMs.p99 / j.flat[0].latencyMs.p99),
          fmt(f.scriptRoundTripUs?.p50, 0),
        ]),
      );
    if (Array.isArray(j.memory))
      table(
        ['event', 'B/session (MEMORY USAGE)', 'B/session (used_memory delta)'],
        j.memory.map((m: any) => [
          m.variant,
          fmt(m.memoryUsageBytes.perSession, 0),
          fmt(m.usedMemoryDeltaBytes.perSessionWithoutOutbox, 0),
        ]),
      );
  }

  const p = section('Status poll and leave', 'poll');
  if (p) {
    const row = (label: string, m: any, base: any) => [
      ...rateCells(label, m),
      fmt(m.cpuUsPerRequest, 0),
      fmt(m.redisCommandsPerRequest, 2),
      fmt(m.perSecond / base.perSecond),
    ];
    lines.push(
      `${p.options.sessions} queued sessions of one paused event, polled round-robin at ${p.options.connections} connections; ` +
        `body ${p.bodyBytes} B; Redis commands per poll include the service's background work ` +
        `(${fmt(p.idleCommandsPerSecond, 0)} commands/s with nobody polling).`,
      '',
    );
    table(
      ['poll', 'polls/s', 'p50 ms', 'p99 ms', 'CPU µs/poll', 'Redis cmds/poll', '× static'],
      [
        row('static node:http, same body size', p.poll.static, p.poll.static),
        row('static node:http, same headers and body', p.poll.staticHeaders, p.poll.static),
        row('bare node:http + ioredis (same get-session Lua)', p.poll.bare, p.poll.static),
        row('service', p.poll.service, p.poll.static),
      ],
    );
    const pollRounds = p.pollRounds as {
      serviceOverStatic: number | null;
      serviceOverStaticSameHeaders: number | null;
    }[];
    const perRound = (ratioOf: (round: (typeof pollRounds)[number]) => number | null) =>
      pollRounds.map((round) => fmt(ratioOf(round))).join(', ');
    if (pollRounds.length > 1)
      lines.push(
        `The servers take turns in ${pollRounds.length} rounds, each started on a quiet box; ` +
          `service ÷ static per round: ${perRound((round) => round.serviceOverStatic)}; ` +
          `÷ static with the same headers: ${perRound((round) => round.serviceOverStaticSameHeaders)}.`,
        '',
        'The static answers differ in their headers only. The first sends a content type and length; the ' +
          "second sends the service's answer byte for byte: its security headers and a request id " +
          '(`common/response-headers.ts`). Between the two lies what those header bytes cost the server ' +
          'and the load generator on the same two cores. The service does not answer with fewer headers ' +
          'to win a benchmark, so the second is the floor this poll can reach.',
        '',
      );
    table(
      ['leave', 'leaves/s', 'p50 ms', 'p99 ms', 'CPU µs/leave', 'Redis cmds/leave', '× bare'],
      [
        row('bare node:http + ioredis (same leave Lua)', p.leave.bare, p.leave.bare),
        row('service', p.leave.service, p.leave.bare),
      ],
    );
  }

  const rl = section('Outbox relay', 'relay');
  if (rl) {
    table(
      ['path', 'messages/s', '× raw'],
      [
        ['raw kafkajs sendBatch (QUEUE_JOINED)', fmt(rl.baseline?.joined?.perSecond, 0), '1.00'],
        [
          'service relay, steady (QUEUE_JOINED)',
          fmt(rl.drainJoined?.steadyPerSecond, 0),
          fmt(rl.ratios?.relayOverRawJoined),
        ],
      ],
    );
    const rounds = (rl.joinedRounds ?? []) as {
      raw?: { perSecond: number };
      drain: { steadyPerSecond: number | null };
      ratio: number | null;
    }[];
    if (rounds.length > 1)
      lines.push(
        `The median of ${rounds.length} rounds, each a raw send then a drain of a fresh backlog: ` +
          rounds
            .map(
              (round) =>
                `${fmt(round.drain.steadyPerSecond, 0)} ÷ ${fmt(round.raw?.perSecond ?? null, 0)} = ${fmt(round.ratio)}`,
            )
            .join('; ') +
          '.',
        '',
      );
  }

  const s = section('Stream fan-out', 'stream');
  if (s) {
    table(
      ['mode', 'clients', 'service cores', 'Redis cmds/s', 'updates/s'],
      s.rows.map((row: any) => [
        row.mode === 'polling' ? 'baseline: polling GET once a second' : 'open SSE streams',
        row.clients,
        fmt(row.serviceCores, 3),
        fmt(row.redisCommandsPerSecond, 0),
        fmt(row.updatesPerSecond, 0),
      ]),
    );
    if (s.deliveryMs)
      lines.push(
        `Delivery of a position change to every stream: p50 ${fmt(s.deliveryMs.p50, 0)} ms, p99 ${fmt(s.deliveryMs.p99, 0)} ms (tick 1 s).`,
        '',
      );
  }

  const sale = section('Mixed realistic sale', 'sale');
  if (sale) {
    const o = sale.options;
    lines.push(
      `${o.people.toLocaleString('en-US')} people arriving over ${o.arrivalSeconds} s on one open event, polling every 4-6 s, ` +
        `${o.giveUpShare * 100}% giving up (half leave, half stop polling; idle timeout ${o.idleTimeoutSeconds} s), ` +
        `${o.admissionRatePerMinute} admissions/min, capacity ${o.capacity}, checkouts by the checkout simulator ` +
        `(delay ${o.checkoutDelayMs} ms, its default 10% failures), ${fmt(sale.windowSeconds, 0)} s.`,
      '',
    );
    table(
      ['figure', 'value'],
      [
        ['joins', sale.joins],
        ['polls/s', fmt(sale.pollsPerSecond, 0)],
        ['poll p50 / p99 ms', `${fmt(sale.pollLatencyMs.p50)} / ${fmt(sale.pollLatencyMs.p99)}`],
        ['admissions/s', fmt(sale.admissionsPerSecond)],
        [
          'completed / failed / expired (at the end)',
          `${sale.completionsTotal} / ${sale.failedTotal} / ${sale.expiredTotal}`,
        ],
        [
          'left / abandoned',
          `${sale.eventStatsAtEnd?.stats?.left_total ?? '-'} / ${sale.eventStatsAtEnd?.stats?.abandoned_total ?? '-'}`,
        ],
        ['service CPU (cores)', fmt(sale.serviceCores)],
        ['Redis commands/s', fmt(sale.redisCommandsPerSecond, 0)],
        [
          'every admitted session ended',
          `${sale.everyAdmittedEnded ? 'yes' : 'no'} (those polls saw admitted: ${JSON.stringify(sale.admittedFinalStatus)}; still in checkout: ${sale.eventStatsAtEnd?.stats?.active_count ?? '-'})`,
        ],
      ],
    );
  }

  const idle = section('Idle and quiet events', 'idle');
  if (idle) {
    const o = idle.options;
    lines.push(
      `One instance, no traffic, on a Redis of its own, ${o.window} s per phase; quiet events: ${o.quietEvents} events with ` +
        `${o.quietPeople} people waiting each (half paused, half with their one checkout slot taken), nobody polling. ` +
        `Redis counts the commands scripts run too. Then ${o.probeJoins} joins one every ${o.probeGapMs} ms beside them: ` +
        "QUEUE_JOINED from the join's answer to an independent consumer.",
      '',
    );
    table(
      ['phase', 'service CPU (% of a core)', 'Redis commands/s'],
      (idle.phases as any[]).map((phase) => [
        phase.phase,
        fmt(phase.serviceCores * 100, 1),
        fmt(phase.redisCommandsPerSecond, 0),
      ]),
    );
    table(
      ['figure', 'value'],
      [
        ['Redis commands/s per quiet event', fmt(idle.perQuietEvent?.commandsPerSecond)],
        [
          'QUEUE_JOINED at rest p50 / p99 / max ms',
          `${fmt(idle.joinedLatency?.p50, 1)} / ${fmt(idle.joinedLatency?.p99, 1)} / ${fmt(idle.joinedLatency?.max, 1)}`,
        ],
      ],
    );
  }

  const gate = section('The gate and identity-bound joins', 'gate');
  if (gate) {
    lines.push(
      `The gate check (a valid pass cookie, X-Original-URL) at ${gate.options.connections} connections against a static ` +
        "node:http 204 with the gate's own headers, in interleaved rounds; then joins to a paused event with " +
        'join_identity_jwk (each with a token of its own) against joins to one without. "Main thread" is the ' +
        "service's event loop alone (Linux schedstat): the join path's cost once verification has cores of its own.",
      '',
    );
    table(
      ['server', 'checks/s', 'p50 ms', 'p99 ms', 'CPU µs/check', '× static'],
      (['service', 'static'] as const).map((key) => [
        key === 'service' ? 'gate check' : 'static node:http 204, same headers',
        fmt(gate.gate?.[key]?.perSecond, 0),
        fmt(gate.gate?.[key]?.p50),
        fmt(gate.gate?.[key]?.p99),
        fmt(gate.gate?.[key]?.cpuUsPerRequest, 0),
        fmt(gate.gate?.[key]?.perSecond / gate.gate?.static?.perSecond),
      ]),
    );
    table(
      ['joins', 'joins/s', 'CPU µs/join', 'main thread µs/join', '× without', '× without, main thread'],
      (['with', 'without'] as const).map((kind) => [
        `${kind} identity`,
        fmt(gate.joins?.[kind]?.perSecond, 0),
        fmt(gate.joins?.[kind]?.cpuUsPerRequest, 0),
        fmt(gate.eventLoopUsPerJoin?.[kind], 0),
        fmt(gate.joins?.[kind]?.perSecond / gate.joins?.without?.perSecond),
        fmt(gate.eventLoopUsPerJoin?.without / gate.eventLoopUsPerJoin?.[kind]),
      ]),
    );
  }

  const replicated = section('Acknowledged means replicated', 'replicated');
  if (replicated) {
    lines.push(
      "Joins through two service instances on one master with one replica of the benchmark's own, " +
        'REDIS_WAIT_REPLICAS=0 and =1, in interleaved rounds (the relay publishing).',
      '',
    );
    table(
      ['REDIS_WAIT_REPLICAS', 'joins/s', 'p50 ms', 'p99 ms', '× without'],
      (replicated.figures as any[]).map((f) => [
        f.replicas,
        fmt(f.perSecond, 0),
        fmt(f.latencyMs.p50),
        fmt(f.latencyMs.p99),
        fmt(f.perSecond / replicated.figures[0].perSecond),
      ]),
    );
  }

  const sharded = section('One event over three masters (shards: 3)', 'sharded');
  if (sharded) {
    lines.push(
      `The same joins through one service instance into one event unsharded and into one event with \`shards: 3\`, ` +
        `on a 3-master Redis Cluster of the benchmark's own (each shard on its own master), ${sharded.options.rounds} ` +
        `rounds of ${sharded.options.duration} s each way, the relay publishing; Redis CPU is each master's main thread. ` +
        "The ceiling is one fully busy core on the event's busiest master (docs/scale-out.md).",
      '',
    );
    table(
      [
        'way',
        'joins/s reached',
        'Redis µs per event join, by master',
        'Redis µs per join held',
        'ceiling/s',
        '× unsharded',
      ],
      (sharded.figures as any[]).map((f) => [
        f.way,
        fmt(f.joinsPerSecond, 0),
        (f.masters as any[]).map((m) => fmt(m.usPerEventJoin)).join(' / '),
        (f.masters as any[]).map((m) => (m.usPerJoinHeld === null ? '-' : fmt(m.usPerJoinHeld))).join(' / '),
        fmt(f.ceilingPerSecond, 0),
        fmt(f.ceilingPerSecond / sharded.figures[0].ceilingPerSecond),
      ]),
    );
  }

  const c = section("Redis's own ceiling (per event)", 'ceiling');
  if (c) {
    const service = (name: string, path: string[]) => {
      let value: any = r(name);
      for (const key of path) value = value?.[key];
      return typeof value === 'number' ? value : null;
    };
    const svcJoin = service('join', ['service', 'perSecond']);
    const svcPoll = service('poll', ['poll', 'service', 'perSecond']);
    lines.push(
      `Pipelined EVALSHA from one client against a redis-server of its own with ${c.queued.toLocaleString('en-US')} queued; ` +
        "one event's keys share one cluster slot, so this is what one event can do however many instances serve it " +
        '(the scale-out measurements and the 10M-waiter plan: docs/scale-out.md, `npm run bench:ceiling`).',
      '',
    );
    table(
      ['script', 'scripts/s (Redis alone)', 'Redis cores', 'one service instance', 'instance ÷ ceiling'],
      [
        [
          'join',
          fmt(c.joinScriptsPerSecond, 0),
          fmt(c.joinRedisCores),
          fmt(svcJoin, 0),
          fmt(svcJoin === null ? null : svcJoin / c.joinScriptsPerSecond),
        ],
        [
          'get-session (poll)',
          fmt(c.getSessionScriptsPerSecond, 0),
          fmt(c.getSessionRedisCores),
          fmt(svcPoll, 0),
          fmt(svcPoll === null ? null : svcPoll / c.getSessionScriptsPerSecond),
        ],
      ],
    );
    lines.push(
      `At one poll per 5 s with a get-session script per poll, one event tops out near ${fmt(c.waitersAt5sPollPerEvent, 0)} waiters.`,
      '',
    );
  }

  lines.push('## Run', '');
  table(
    ['benchmark', 'status', 'seconds', 'command'],
    Object.values(steps).map((step) => [
      step.name,
      step.ok ? 'ok' : 'failed',
      fmt(step.seconds, 0),
      `\`${step.command}\``,
    ]),
  );
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Each target as a bar: the measured figure as a share of its goal (1 = exactly on target). */
function svg(suite: Record<string, any>): string {
  const list = suite.targets as Target[];
  const width = 760;
  const rowHeight = 44;
  const left = 250;
  const plot = 420;
  const top = 56;
  const height = top + list.length * rowHeight + 40;
  const max = 2;
  const x = (share: number) => left + (Math.min(max, Math.max(0, share)) / max) * plot;
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">make bench: each figure against its target (${escape(String(suite.commit).slice(0, 10))}, ${escape(String(suite.facts.date).slice(0, 10))})</text>`,
    `<text x="${width / 2}" y="40" text-anchor="middle" fill="#555">bar = share of the target reached (measured ÷ goal, or goal ÷ measured when lower is better); line = target</text>`,
  ];
  for (const [i, share] of [0, 0.5, 1, 1.5, 2].entries()) {
    parts.push(
      `<text x="${x(share)}" y="${height - 14}" text-anchor="middle" fill="#555">${share}${i === 4 ? '+' : ''}</text>`,
    );
  }
  list.forEach((t, i) => {
    const y = top + i * rowHeight;
    const share =
      t.value === null
        ? 0
        : t.direction === 'atLeast'
          ? t.value / t.target
          : t.target / Math.max(t.value, 1e-9);
    const colour = met(t) === null ? '#bbb' : met(t) ? '#2e7d32' : '#c62828';
    parts.push(
      `<text x="${left - 8}" y="${y + 18}" text-anchor="end">${escape(t.label)}</text>`,
      `<text x="${left - 8}" y="${y + 33}" text-anchor="end" fill="#555" font-size="11">${escape(`${figure(t.value, t.unit)} vs ${t.direction === 'atLeast' ? '≥' : '≤'} ${t.target}${t.unit === 'B' ? ' B' : t.unit}`)}</text>`,
      `<rect x="${left}" y="${y + 8}" width="${Math.max(1, x(share) - left)}" height="24" fill="${colour}"/>`,
      `<text x="${x(share) + 6}" y="${y + 25}" fill="#333">${t.value === null ? 'not measured' : `${fmt(share)} (${metText(t)})`}</text>`,
    );
  });
  parts.push(
    `<line x1="${x(1)}" y1="${top - 4}" x2="${x(1)}" y2="${top + list.length * rowHeight}" stroke="#000" stroke-dasharray="4 3" stroke-width="1.5"/>`,
    `<line x1="${left}" y1="${top + list.length * rowHeight}" x2="${left + plot}" y2="${top + list.length * rowHeight}" stroke="#999"/>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

function render(suite: Record<string, any>): void {
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), markdown(suite));
  writeFileSync(join(ROOT, 'docs/bench-suite.svg'), svg(suite));
  copyFileSync(SUITE_JSON, join(ROOT, 'docs/bench-suite.json'));
  log('wrote BENCHMARKS.md, docs/bench-suite.svg, docs/bench-suite.json');
}

async function main(): Promise<void> {
  if (RENDER_ONLY) {
    const suite = JSON.parse(readFileSync(SUITE_JSON, 'utf8')) as Record<string, any>;
    suite.targets = targets(suite.steps);
    writeFileSync(SUITE_JSON, `${JSON.stringify(suite, null, 2)}\n`);
    render(suite);
    return;
  }
  const started = Date.now();
  const redis = connectRedis();
  const facts = await environmentFacts(redis);
  await redis.quit();
  const build = ensureBuilt();
  const steps: Record<string, StepResult> = {};
  for (const child of CHILDREN) if (ONLY.has(child.name)) steps[child.name] = await runChild(child);
  if (ONLY.has('ceiling')) steps.ceiling = await ceiling();
  const { execFileSync } = await import('node:child_process');
  const suite: Record<string, any> = {
    facts: { ...facts, build },
    commit: execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
    seconds: (Date.now() - started) / 1000,
    steps,
  };
  suite.targets = targets(steps);
  writeResult('suite', suite);
  for (const t of suite.targets as Target[])
    log(
      `${t.label}: ${figure(t.value, t.unit)} (goal ${t.direction === 'atLeast' ? '≥' : '≤'} ${t.target}) ${metText(t)}`,
    );
  for (const step of Object.values(steps)) if (!step.ok) log(`FAILED ${step.name}: ${step.error}`);
  render(suite);
  log(`suite done in ${fmt(suite.seconds / 60, 1)} minutes`);
}

runBenchmark(main);
