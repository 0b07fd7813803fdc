/**
 * What the bot check (proof of work at join, issue 13) costs the service: joins/s over HTTP with
 * the check on against off, in the same run, on one service instance (the built dist, as `npm
 * start` runs it) on the stack's Redis, loopback. Two paused events, one with bot_check
 * proof_of_work; every join has a user id of its own (always a new place, 201).
 *
 * The proofs are fetched (GET /events/:id/challenge) and solved (altcha-lib's solveChallenge,
 * here in Node) before anything is measured, one per join, so the timed runs hold only what the
 * service does per join: decode the payload, verify it (two HMACs), and the join script's
 * SET NX of the used proof. The runs alternate off/on; besides joins/s, the service process's
 * CPU time per join (steadier than joins/s when the box is shared). Also reported: the challenge
 * endpoint's rate while the proofs are fetched, and BotCheckService.verify alone (CPU µs per
 * call, in this process).
 *
 *   npm run bench:bot-check -- [--joins=8000] [--rounds=3] [--connections=50] [--build=auto]
 *
 * Writes bench-results/bot-check.json.
 */
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import type { Environment } from '../apps/waitroom/src/config/environment';
import { altcha, deriveShaKey, type Challenge } from '../apps/waitroom/src/bot-check/altcha';
import { BotCheckService } from '../apps/waitroom/src/bot-check/bot-check.service';
import {
  benchOptions,
  ensureBuilt,
  fmt,
  httpJson,
  log,
  printTable,
  processCpuMs,
  putEvent,
  runBenchmark,
  Samples,
  startService,
  summarize,
  writeResult,
  type LatencySummary,
} from './support/common';
import { JOIN_PATH } from './support/load';
import { openBenchRun } from './support/run';

const OPTIONS = benchOptions({ joins: 8000, rounds: 3, connections: 50 });
const WARMUP = 2000;
/** Solving is not what is measured: the smallest difficulty the API takes. */
const MAX_NUMBER = 10;

interface Run {
  check: 'off' | 'on';
  round: number;
  joins: number;
  created: number;
  other: Record<string, number>;
  perSecond: number;
  /** The service process's CPU time per join (user + system), µs: steadier than joins/s on a busy box. */
  cpuMicrosPerJoin: number;
  latencyMs: LatencySummary;
}

/** `bodies.length` joins at fixed concurrency, each with its own body; joins/s and latency. */
async function load(baseUrl: string, pid: number, bodies: string[]): Promise<Omit<Run, 'check' | 'round'>> {
  const cpuBefore = processCpuMs(pid)!;
  let next = 0;
  const latencies = new Samples();
  const statuses: Record<string, number> = {};
  let firstAt = 0;
  let lastAt = 0;
  await new Promise<void>((done, fail) => {
    const instance = autocannon(
      {
        url: baseUrl,
        connections: OPTIONS.connections,
        amount: bodies.length,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: JOIN_PATH,
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
          },
        ],
      },
      (error) => (error ? fail(error) : done()),
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      // From the first response to the last: autocannon reports the end on its 1 s tick.
      lastAt = performance.now();
      if (firstAt === 0) firstAt = lastAt - ms;
      statuses[status] = (statuses[status] ?? 0) + 1;
      latencies.push(ms);
    });
  });
  const seconds = (lastAt - firstAt) / 1000;
  const { 201: created = 0, ...other } = statuses;
  return {
    joins: bodies.length,
    created,
    other,
    perSecond: bodies.length / seconds,
    cpuMicrosPerJoin: ((processCpuMs(pid)! - cpuBefore) * 1000) / bodies.length,
    latencyMs: summarize(latencies.values()),
  };
}

/** Fetches `count` challenges --connections at a time and solves them: the joins' proofs. */
async function presolve(baseUrl: string, eventId: string, count: number) {
  const url = `${baseUrl}/api/v1/waitroom/events/${eventId}/challenge`;
  const challenges: Challenge[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: OPTIONS.connections }, async () => {
      while (challenges.length < count) {
        const response = await httpJson('GET', url);
        if (response.status !== 200) throw new Error(`challenge: ${response.status}`);
        challenges.push(response.body as Challenge);
      }
    }),
  );
  const challengesPerSecond = challenges.length / ((performance.now() - started) / 1000);
  const proofs: string[] = [];
  for (const challenge of challenges.slice(0, count)) {
    const solution = await altcha.solveChallenge({ challenge, deriveKey: deriveShaKey });
    proofs.push(Buffer.from(JSON.stringify({ challenge, solution })).toString('base64'));
  }
  return { proofs, challengesPerSecond };
}

/**
 * BotCheckService.verify alone, in this process: CPU µs per call (decode, signature, key
 * signature), CPU time rather than wall time so a busy box does not inflate it.
 */
function verifyCost(proofs: string[], eventId: string, key: string): number {
  const service = new BotCheckService({ ALTCHA_HMAC_KEY: key } as Environment);
  const sample = proofs.slice(0, 5000);
  for (const proof of sample.slice(0, 500)) service.verify(eventId, proof); // warm-up
  const before = process.cpuUsage();
  for (const proof of sample) {
    const verdict = service.verify(eventId, proof);
    if (verdict.kind !== 'valid') throw new Error(`verify: ${verdict.kind}`);
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / sample.length;
}

runBenchmark(async () => {
  ensureBuilt();
  const options = { ...OPTIONS, warmup: WARMUP };
  const { facts, prefix } = await openBenchRun('botcheck', options);
  const key = randomBytes(32).toString('base64url');
  const service = await startService(prefix, { ALTCHA_HMAC_KEY: key, LOG_LEVEL: 'error' });
  const pid = service.child.pid!;
  const off = 'bench-off';
  const on = 'bench-pow';
  await putEvent(service.baseUrl, off, { capacity: 10, state: 'paused' });
  await putEvent(service.baseUrl, on, {
    capacity: 10,
    state: 'paused',
    bot_check: 'proof_of_work',
    bot_check_max_number: MAX_NUMBER,
  });

  const needed = WARMUP + OPTIONS.joins * OPTIONS.rounds;
  log(`fetching and solving ${needed} challenges (they expire in 5 minutes)`);
  const { proofs, challengesPerSecond } = await presolve(service.baseUrl, on, needed);
  log(`challenges: ${fmt(challengesPerSecond, 0)}/s over HTTP while fetching`);
  const verifyMicros = verifyCost(proofs, on, key);
  log(`BotCheckService.verify: ${fmt(verifyMicros, 1)} µs a call`);

  let offUser = 0;
  let onUser = 0;
  let nextProof = 0;
  const offBodies = (n: number) =>
    Array.from({ length: n }, () => JSON.stringify({ user_id: `off-${offUser++}`, event_id: off }));
  const onBodies = (n: number) =>
    Array.from({ length: n }, () =>
      JSON.stringify({ user_id: `on-${onUser++}`, event_id: on, altcha: proofs[nextProof++] }),
    );

  log(`warm-up: ${WARMUP} joins each`);
  await load(service.baseUrl, pid, offBodies(WARMUP));
  await load(service.baseUrl, pid, onBodies(WARMUP));
  const runs: Run[] = [];
  for (let round = 1; round <= OPTIONS.rounds; round++) {
    for (const check of ['off', 'on'] as const) {
      const result = await load(
        service.baseUrl,
        pid,
        check === 'off' ? offBodies(OPTIONS.joins) : onBodies(OPTIONS.joins),
      );
      if (result.created !== OPTIONS.joins)
        throw new Error(`${check}: ${JSON.stringify(result.other)} besides 201`);
      runs.push({ check, round, ...result });
      log(
        `round ${round}, check ${check}: ${fmt(result.perSecond, 0)} joins/s, ${fmt(result.cpuMicrosPerJoin, 0)} µs CPU a join, p50 ${fmt(result.latencyMs.p50)} ms, p99 ${fmt(result.latencyMs.p99)} ms`,
      );
    }
  }
  // A proof used twice is refused: the measured path is the real one.
  const reuse = await httpJson('POST', `${service.baseUrl}${JOIN_PATH}`, {
    user_id: 'reuse',
    event_id: on,
    altcha: proofs[WARMUP],
  });
  if (reuse.status !== 403) throw new Error(`a reused proof got ${reuse.status}`);

  const median = (check: 'off' | 'on', of: (run: Run) => number = (run) => run.perSecond) => {
    const values = runs
      .filter((r) => r.check === check)
      .map(of)
      .sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)];
  };
  const cpu = (run: Run) => run.cpuMicrosPerJoin;
  printTable(
    `Joins/s with the bot check off and on (${OPTIONS.connections} connections, ${OPTIONS.joins} joins a run)`,
    ['round', 'check', 'joins/s', 'service CPU µs a join', 'p50 ms', 'p99 ms'],
    runs.map((r) => [
      r.round,
      r.check,
      fmt(r.perSecond, 0),
      fmt(r.cpuMicrosPerJoin, 0),
      fmt(r.latencyMs.p50),
      fmt(r.latencyMs.p99),
    ]),
  );
  const summary = {
    offMedian: median('off'),
    onMedian: median('on'),
    ratio: median('on') / median('off'),
    cpuMicrosPerJoinOff: median('off', cpu),
    cpuMicrosPerJoinOn: median('on', cpu),
    challengesPerSecond,
    verifyMicros,
  };
  log(
    `median joins/s: off ${fmt(summary.offMedian, 0)}, on ${fmt(summary.onMedian, 0)} (on/off ${fmt(summary.ratio)}); ` +
      `median service CPU a join: off ${fmt(summary.cpuMicrosPerJoinOff, 0)} µs, on ${fmt(summary.cpuMicrosPerJoinOn, 0)} µs`,
  );
  writeResult('bot-check', { options, facts, runs, summary });
});
