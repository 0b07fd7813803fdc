/**
 * What "acknowledged means replicated" costs (issue 26): joins/s and latency of the service with
 * REDIS_WAIT_REPLICAS=0 and with 1, side by side on one master with one replica of the
 * benchmark's own (loopback, no persistence), the relay publishing to the stack's Kafka. Both
 * instances run all the time; the load alternates between them in interleaved rounds, so
 * whatever else the box does hits both alike.
 *
 *   npm run bench:replicated -- [--connections=50] [--duration=12] [--rounds=3] [--warmup=2]
 *
 * Writes bench-results/replicated.json.
 */
import {
  Samples,
  benchOptions,
  ensureBuilt,
  fmt,
  log,
  printTable,
  putEvent,
  ratio,
  runBenchmark,
  sleep,
  startService,
  summarize,
  writeResult,
} from './support/common';
import { waitForIdleServiceGroup } from './support/kafka';
import { runJoinLoad } from './support/load';
import { startOwnRedis } from './support/own-redis';

const OPTIONS = benchOptions({ connections: 50, duration: 12, rounds: 3, warmup: 2 });

interface Target {
  replicas: number;
  baseUrl: string;
  eventId: string;
  samples: Samples;
  ok: number;
  seconds: number;
  refused: number;
  rounds: number[];
}

runBenchmark(async () => {
  const build = ensureBuilt();
  const master = await startOwnRedis('replicated-master');
  const replica = await startOwnRedis('replicated-replica', [
    '--replicaof',
    '127.0.0.1',
    String(master.port),
  ]);
  for (let i = 0; !/master_link_status:up/.test(await replica.redis.info('replication')); i++) {
    if (i > 100) throw new Error('the replica did not sync');
    await sleep(100);
  }
  log(`options ${JSON.stringify(OPTIONS)}; master ${master.url}, replica on ${replica.port}`);
  await waitForIdleServiceGroup();
  const targets: Target[] = [];
  for (const replicas of [0, 1]) {
    const service = await startService(`rb${replicas}:`, {
      REDIS_URL: master.url,
      REDIS_WAIT_REPLICAS: String(replicas),
    });
    const eventId = `replicated-${replicas}`;
    await putEvent(service.baseUrl, eventId, { capacity: 10, state: 'paused' });
    targets.push({
      replicas,
      baseUrl: service.baseUrl,
      eventId,
      samples: new Samples(),
      ok: 0,
      seconds: 0,
      refused: 0,
      rounds: [],
    });
  }
  for (const target of targets)
    await runJoinLoad({
      ...target,
      connections: OPTIONS.connections,
      duration: OPTIONS.warmup,
      userPrefix: 'warm-',
    });
  const perRound = OPTIONS.duration / OPTIONS.rounds;
  for (let round = 0; round < OPTIONS.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const run = await runJoinLoad({
        baseUrl: target.baseUrl,
        eventId: target.eventId,
        connections: OPTIONS.connections,
        duration: perRound,
        userPrefix: `r${round}-`,
      });
      for (const value of run.samples) target.samples.push(value);
      target.ok += run.ok;
      target.seconds += run.flowingSeconds;
      target.refused += run.requests - run.ok;
      target.rounds.push(run.perSecond);
      log(
        `round ${round + 1}/${OPTIONS.rounds}, REDIS_WAIT_REPLICAS=${target.replicas}: ${fmt(run.perSecond, 0)} joins/s`,
      );
    }
  }
  const figures = targets.map((target) => ({
    replicas: target.replicas,
    perSecond: target.ok / target.seconds,
    latencyMs: summarize(target.samples.values()),
    refused: target.refused,
    rounds: target.rounds,
  }));
  const [plain, waited] = figures;
  const ratios = {
    waitOverPlainThroughput: ratio(waited.perSecond, plain.perSecond),
    waitOverPlainP50: ratio(waited.latencyMs.p50, plain.latencyMs.p50),
    waitOverPlainP99: ratio(waited.latencyMs.p99, plain.latencyMs.p99),
  };
  printTable(
    `Joins with and without replica confirmation, ${OPTIONS.connections} connections, ${OPTIONS.rounds} interleaved rounds`,
    ['REDIS_WAIT_REPLICAS', 'joins/s', 'p50 ms', 'p99 ms', 'not 201', '× without'],
    figures.map((f) => [
      f.replicas,
      fmt(f.perSecond, 0),
      fmt(f.latencyMs.p50),
      fmt(f.latencyMs.p99),
      f.refused,
      fmt(ratio(f.perSecond, plain.perSecond)),
    ]),
  );
  console.log(`\nratios: ${JSON.stringify(ratios)}`);
  log(`wrote ${writeResult('replicated', { options: OPTIONS, build, figures, ratios })}`);
});
