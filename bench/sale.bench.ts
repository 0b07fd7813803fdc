/**
 * A mixed, realistic sale on one event (issue 12): an arrival spike, people polling their
 * session every 4-6 s (jittered, as the waiting page's fallback does), about one in ten giving
 * up (half leave with DELETE, half simply stop polling and are abandoned by the event's idle
 * timeout), admissions at a rate, and checkouts completed by the checkout simulator (the built
 * apps/checkout-simulator as a process, over Kafka; the service's own consumer applies the
 * outcomes). One built service on a Redis of this benchmark's own, bounded to --duration seconds.
 *
 * Reports: joins, polls/s, admissions/s, completions, p50/p99 poll latency, the service's CPU
 * (cores), Redis commands/s, and whether every admitted session ended (completed, failed or
 * expired) by the end of a short grace period after the crowd stops. Also the error of the
 * estimated wait each person was told at join against the wait they had (admitted_at - joined_at,
 * the service's own times), median and p90, over those who waited at least a second: with the
 * default rate the sale is rate-bound, with --rate=0 (no rate limit) capacity-bound.
 *
 *   npm run bench:sale -- [--people=3000] [--arrival=20] [--duration=90] [--rate=1200]
 *                         [--capacity=100] [--idle-timeout=15] [--give-up=0.1] [--grace=20]
 *                         [--checkout-delay=300-1500] [--build=auto|always|never] [--verbose=1]
 *
 * Writes bench-results/sale.json. Loopback only; everything it starts is stopped at the end.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  KAFKA_BROKERS,
  ROOT,
  Samples,
  benchOptions,
  captureTail,
  fmt,
  freePort,
  getEvent,
  httpJson,
  log,
  onCleanup,
  printTable,
  processCpuMs,
  putEvent,
  runBenchmark,
  sleep,
  stopChild,
  summarize,
  track,
  waitForHttp,
  writeResult,
} from './support/common';
import { waitForIdleServiceGroup } from './support/kafka';
import { commandsProcessed, openOwnRedisRun, startServiceOn } from './support/own-redis';

/** Saved under these names; the flags are the shorter ones below (`--arrival=` sets arrivalSeconds). */
const OPTIONS = benchOptions(
  {
    people: 3000,
    arrivalSeconds: 20,
    durationSeconds: 90,
    admissionRatePerMinute: 1200,
    capacity: 100,
    idleTimeoutSeconds: 15,
    giveUpShare: 0.1,
    graceSeconds: 20,
    checkoutDelayMs: '300-1500',
  },
  {
    arrivalSeconds: 'arrival',
    durationSeconds: 'duration',
    admissionRatePerMinute: 'rate',
    idleTimeoutSeconds: 'idle-timeout',
    giveUpShare: 'give-up',
    graceSeconds: 'grace',
    checkoutDelayMs: 'checkout-delay',
  },
);
const SIMULATOR_MAIN = join(ROOT, 'dist/apps/checkout-simulator/apps/checkout-simulator/src/main.js');
const API = '/api/v1/waitroom';
const ENDED = new Set(['completed', 'failed', 'expired']);
const TERMINAL = new Set([...ENDED, 'left', 'abandoned']);

interface Person {
  sessionId?: string;
  status?: string;
  /** 'stay' polls to the end; 'leave' leaves at leaveAt; 'abandon' stops polling at leaveAt. */
  plan: 'stay' | 'leave' | 'abandon';
  leaveAt: number;
  admitted: boolean;
  /** estimated_wait_seconds of the join's answer, and the service's times of join and admission. */
  estimate?: number | null;
  joinedAtIso?: string;
  admittedAtIso?: string;
}

/** Median and p90 of |estimate - wait| / wait over the people who waited at least a second. */
function etaErrors(people: Person[]) {
  const errors = people
    .flatMap((person) => {
      if (
        person.estimate === null ||
        person.estimate === undefined ||
        !person.joinedAtIso ||
        !person.admittedAtIso
      )
        return [];
      const waited = (Date.parse(person.admittedAtIso) - Date.parse(person.joinedAtIso)) / 1000;
      return waited >= 1 ? [Math.abs(person.estimate - waited) / waited] : [];
    })
    .sort((a, b) => a - b);
  const at = (p: number) =>
    errors.length === 0 ? null : errors[Math.min(errors.length - 1, Math.floor(p * errors.length))];
  return { people: errors.length, median: at(0.5), p90: at(0.9) };
}

const jitter = (from: number, to: number) => from + Math.random() * (to - from);

async function startSimulator(waitroomUrl: string, eventId: string): Promise<number> {
  const port = await freePort();
  const child = track(
    spawn(process.execPath, [SIMULATOR_MAIN], {
      cwd: tmpdir(),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? tmpdir(),
        PORT: String(port),
        HOST: '127.0.0.1',
        KAFKA_BROKERS,
        WAITROOM_URL: waitroomUrl,
        SIMULATED_EVENTS: eventId,
        CHECKOUT_DELAY_MS: OPTIONS.checkoutDelayMs,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  onCleanup(() => stopChild(child, 5000));
  const tail = captureTail(child, 'simulator');
  await waitForHttp(`http://127.0.0.1:${port}/health/live`, child, tail);
  return child.pid!;
}

async function main(): Promise<void> {
  const { redis, url, facts } = await openOwnRedisRun('sale-bench', OPTIONS);
  // The service's consumer joins group waitroom-service: no other instance may be in it.
  const consumerGroup = await waitForIdleServiceGroup();
  const service = await startServiceOn(url);
  const eventId = `sale-${randomBytes(3).toString('hex')}`;
  const simulatorPid = await startSimulator(service.baseUrl, eventId);
  const eventConfig = {
    capacity: OPTIONS.capacity,
    // 0: no rate limit, so capacity (the checkouts) binds.
    admission_rate_per_minute: OPTIONS.admissionRatePerMinute || null,
    checkout_timeout_seconds: 30,
    idle_timeout_seconds: OPTIONS.idleTimeoutSeconds,
    state: 'open',
  };
  await putEvent(service.baseUrl, eventId, eventConfig);
  const eventStats = () => getEvent(service.baseUrl, eventId);
  // Give the simulator's consumer time to join its group before the first admission.
  await sleep(3000);

  const people: Person[] = Array.from({ length: OPTIONS.people }, () => {
    const roll = Math.random();
    const plan = roll < OPTIONS.giveUpShare / 2 ? 'leave' : roll < OPTIONS.giveUpShare ? 'abandon' : 'stay';
    return { plan, leaveAt: jitter(5, 40) * 1000, admitted: false };
  });
  const pollLatency = new Samples();
  const counts = { joins: 0, joinErrors: 0, polls: 0, pollErrors: 0, leaves: 0, admittedSeen: 0 };
  let stopping = false;

  const serviceCpu0 = processCpuMs(service.child.pid!);
  const simulatorCpu0 = processCpuMs(simulatorPid);
  const commands0 = await commandsProcessed(redis);
  const stats0 = await eventStats();
  const started = performance.now();
  const elapsed = () => performance.now() - started;

  const live = async (person: Person, index: number) => {
    await sleep(Math.random() * OPTIONS.arrivalSeconds * 1000);
    const joinedAt = elapsed();
    const joined = await httpJson('POST', `${service.baseUrl}${API}/join`, {
      user_id: `buyer-${index}`,
      event_id: eventId,
    }).catch(() => null);
    if (!joined || joined.status !== 201) {
      counts.joinErrors++;
      return;
    }
    counts.joins++;
    person.sessionId = (joined.body as { session_id: string }).session_id;
    person.status = (joined.body as { status: string }).status;
    person.estimate = (joined.body as { estimated_wait_seconds: number | null }).estimated_wait_seconds;
    person.joinedAtIso = (joined.body as { joined_at: string }).joined_at;
    const path = `${service.baseUrl}${API}/sessions/${encodeURIComponent(person.sessionId)}`;
    for (;;) {
      await sleep(jitter(4000, 6000));
      if (stopping) return;
      if (person.plan !== 'stay' && !person.admitted && elapsed() - joinedAt >= person.leaveAt) {
        if (person.plan === 'leave') {
          const left = await fetch(path, { method: 'DELETE' }).catch(() => null);
          if (left?.ok) counts.leaves++;
          await left?.text();
        }
        return; // 'abandon': stops polling; the idle timeout ends the session
      }
      const at = performance.now();
      const response = await fetch(path).catch(() => null);
      if (!response || !response.ok) {
        counts.pollErrors++;
        await response?.text();
        continue;
      }
      const body = (await response.json()) as { status: string; admitted_at: string | null };
      pollLatency.push(performance.now() - at);
      counts.polls++;
      person.status = body.status;
      if (body.status !== 'queued' && !person.admitted) {
        person.admitted = body.status !== 'left' && body.status !== 'abandoned';
        if (person.admitted) counts.admittedSeen++;
        if (body.admitted_at) person.admittedAtIso = body.admitted_at;
      }
      if (TERMINAL.has(body.status)) return;
    }
  };
  const progress = setInterval(
    () =>
      log(
        `t=${fmt(elapsed() / 1000, 0)} s: ${counts.joins} joined, ${counts.polls} polls, ${counts.admittedSeen} admitted seen, ${counts.leaves} left`,
      ),
    15000,
  );
  const crowd = Promise.all(people.map((person, index) => live(person, index)));
  await sleep(OPTIONS.durationSeconds * 1000);
  stopping = true;
  const windowS = elapsed() / 1000;
  clearInterval(progress);
  const serviceCpu1 = processCpuMs(service.child.pid!);
  const simulatorCpu1 = processCpuMs(simulatorPid);
  const commands1 = await commandsProcessed(redis);
  const stats1 = await eventStats();
  await crowd;

  // Grace: admissions stop (pause), the simulator finishes the checkouts in flight, then every
  // session anyone saw admitted is read once more.
  await putEvent(service.baseUrl, eventId, { ...eventConfig, state: 'paused' });
  log(
    `crowd stopped after ${fmt(windowS, 0)} s; up to ${OPTIONS.graceSeconds} s for the checkouts in flight`,
  );
  const admitted = people.filter((person) => person.admitted);
  const finalStatus: Record<string, number> = {};
  const num = (details: Record<string, unknown>, field: string) =>
    Number((details.stats as Record<string, unknown> | undefined)?.[field] ?? 0);
  const graceStarted = performance.now();
  for (;;) {
    for (const key of Object.keys(finalStatus)) delete finalStatus[key];
    for (const person of admitted) {
      if (!ENDED.has(person.status ?? '')) {
        const reply = await httpJson(
          'GET',
          `${service.baseUrl}${API}/sessions/${encodeURIComponent(person.sessionId!)}`,
        );
        person.status =
          reply.status === 200 ? (reply.body as { status: string }).status : `http-${reply.status}`;
      }
      finalStatus[person.status!] = (finalStatus[person.status!] ?? 0) + 1;
    }
    const open = admitted.filter((person) => !ENDED.has(person.status ?? '')).length;
    // Also those admitted just before the pause that no poll saw: nobody left in checkout.
    const inCheckout = num(await eventStats(), 'active_count');
    if ((open === 0 && inCheckout === 0) || performance.now() - graceStarted > OPTIONS.graceSeconds * 1000)
      break;
    await sleep(1000);
  }
  const stats2 = await eventStats();
  const cpu = (a: number | null, b: number | null) =>
    a === null || b === null ? null : (b - a) / 1000 / windowS;
  // Both views: every session a poll saw admitted has ended, and the event has nobody in checkout.
  const everyAdmittedEnded =
    admitted.every((person) => ENDED.has(person.status ?? '')) && num(stats2, 'active_count') === 0;
  const result = {
    facts: { ...facts, consumerGroup },
    options: OPTIONS,
    eventId,
    windowSeconds: windowS,
    joins: counts.joins,
    joinErrors: counts.joinErrors,
    polls: counts.polls,
    pollErrors: counts.pollErrors,
    pollsPerSecond: counts.polls / windowS,
    pollLatencyMs: summarize(pollLatency.values()),
    leaves: counts.leaves,
    abandonedByPlan: people.filter((person) => person.plan === 'abandon').length,
    admissions: num(stats1, 'admitted_total') - num(stats0, 'admitted_total'),
    admissionsPerSecond: (num(stats1, 'admitted_total') - num(stats0, 'admitted_total')) / windowS,
    completionsInWindow: num(stats1, 'completed_total') - num(stats0, 'completed_total'),
    completionsTotal: num(stats2, 'completed_total'),
    failedTotal: num(stats2, 'failed_total'),
    expiredTotal: num(stats2, 'expired_total'),
    serviceCores: cpu(serviceCpu0, serviceCpu1),
    simulatorCores: cpu(simulatorCpu0, simulatorCpu1),
    redisCommandsPerSecond: (commands1 - commands0) / windowS,
    admittedSeenByPolls: admitted.length,
    admittedFinalStatus: finalStatus,
    everyAdmittedEnded,
    graceUsedSeconds: (performance.now() - graceStarted) / 1000,
    eventStatsAtEnd: stats2,
    estimatedWaitError: etaErrors(people),
  };
  printTable(
    `Mixed sale: ${OPTIONS.people} people over ${OPTIONS.arrivalSeconds} s, polls every 4-6 s, ${OPTIONS.giveUpShare * 100}% give up, ${OPTIONS.admissionRatePerMinute} admissions/min, ${fmt(windowS, 0)} s`,
    [
      'joins',
      'polls/s',
      'poll p50 ms',
      'poll p99 ms',
      'admissions/s',
      'completed',
      'service cores',
      'Redis cmds/s',
      'every admitted ended',
    ],
    [
      [
        result.joins,
        fmt(result.pollsPerSecond, 0),
        fmt(result.pollLatencyMs.p50),
        fmt(result.pollLatencyMs.p99),
        fmt(result.admissionsPerSecond),
        result.completionsTotal,
        fmt(result.serviceCores),
        fmt(result.redisCommandsPerSecond, 0),
        `${everyAdmittedEnded ? 'yes' : 'no'} ${JSON.stringify(finalStatus)}`,
      ],
    ],
  );
  const eta = result.estimatedWaitError;
  printTable(
    `Estimated wait at join vs the wait people had (${OPTIONS.admissionRatePerMinute ? 'rate' : 'capacity'}-bound)`,
    ['people', 'median error', 'p90 error'],
    [
      [
        eta.people,
        eta.median === null ? '–' : `${fmt(eta.median * 100, 1)} %`,
        eta.p90 === null ? '–' : `${fmt(eta.p90 * 100, 1)} %`,
      ],
    ],
  );
  log(`wrote ${writeResult('sale', result)}`);
  // A benchmark that watches a whole sale is also its end-to-end check: someone admitted whose
  // session never ended (or is seen "queued" again) is a defect, not a figure, so the run fails.
  if (!everyAdmittedEnded)
    throw new Error(
      `not every admitted session ended: those polls saw admitted are now ${JSON.stringify(finalStatus)}, ` +
        `still in checkout ${num(stats2, 'active_count')}`,
    );
}

runBenchmark(main);
