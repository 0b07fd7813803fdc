/**
 * Scale-out (issue 12): joins/s and status polls/s with 1, 2 and 3 service instances (the built
 * service, one process each, same Redis key prefix), the load spread over the instances
 * round-robin (one autocannon per instance, all at once). Then, with --cluster=1, the same three
 * instances on a 3-master Redis Cluster this benchmark starts on loopback: one hot event vs
 * events spread over the three masters' slots.
 *
 *   flock /tmp/waitroom-bench.lock npm run bench:scale-out -- [--instances=1,2,3] [--connections=60]
 *        [--duration=10] [--poll-duration=8] [--poll-sessions=3000] [--warmup=2] [--cluster=1]
 *        [--cluster-port=7231] [--build=auto|always|never] [--quiet-wait=30] [--verbose=1]
 *
 * Reported per configuration: total ops/s, CPU of each instance, Redis (its pid from INFO
 * server), Kafka and the load generator, in cores (CPU ms / wall ms), and the box's idle share.
 * On a 2-core box the load generator, Redis, Kafka and the instances share the cores, so the
 * CPU per operation is the portable figure; docs/scale-out.md turns it into a sizing.
 *
 * Writes bench-results/scale-out.json. Everything is written under a key prefix of this run and
 * deleted at the end; the services and the cluster are stopped on any exit.
 */
import { cpus } from 'node:os';
import type Redis from 'ioredis';
import { Cluster } from 'ioredis';
import { RedisClusterProcesses } from '../test/support/redis-processes';
import {
  CpuMeter,
  REDIS_URL,
  Samples,
  boxBusyCpuMs,
  connectRedis,
  deleteByPrefix,
  benchPrefix,
  ensureBuilt,
  environmentFacts,
  fmt,
  kafkaPid,
  listOption,
  log,
  numberOption,
  onCleanup,
  printTable,
  putEvent,
  redisPid,
  runBenchmark,
  sleep,
  startService,
  summarize,
  waitForQuiet,
  writeResult,
  type LatencySummary,
  type ServiceProcess,
} from './support/common';
import { runJoinLoad, runPathLoad } from './support/load';

const INSTANCES = listOption('instances', [1, 2, 3]);
const CONNECTIONS = numberOption('connections', 60);
const DURATION = numberOption('duration', 10);
const POLL_DURATION = numberOption('poll-duration', 8);
const POLL_SESSIONS = numberOption('poll-sessions', 3000);
const WARMUP = numberOption('warmup', 2);
const CLUSTER = numberOption('cluster', 1) > 0;
const CLUSTER_PORT = numberOption('cluster-port', 7231);
const SESSIONS_PATH = '/api/v1/waitroom/sessions/';

interface Figures {
  label: string;
  kind: 'join' | 'poll';
  instances: number;
  events: number;
  perSecond: number;
  perInstance: number[];
  non2xx: number;
  errors: number;
  latencyMs: LatencySummary;
  /** Cores used over the window (CPU ms / wall ms), per process. */
  cores: Record<string, number | null>;
  /** CPU µs per operation, per process. */
  cpuUsPerOp: Record<string, number | null>;
  boxIdleShare: number | null;
  limit: string;
}

/** Joins `count` users through the instances (round-robin), returning their session ids. */
async function joinSessions(services: ServiceProcess[], eventId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const service = services[index % services.length];
      const response = await fetch(`${service.baseUrl}/api/v1/waitroom/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: `poller-${index}`, event_id: eventId }),
      });
      const body = (await response.json()) as { session_id?: string };
      if (response.status !== 201 || !body.session_id)
        throw new Error(`join for polls: ${response.status} ${JSON.stringify(body)}`);
      ids.push(body.session_id);
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  return ids;
}

/** Waits (up to 30 s) until the relay has published every event's outbox, so runs do not overlap. */
async function waitForOutboxes(redis: Redis | Cluster, outboxKeys: string[]): Promise<void> {
  const deadline = Date.now() + 30000;
  for (;;) {
    let pending = 0;
    for (const key of outboxKeys) pending += await redis.xlen(key);
    if (pending === 0) return;
    if (Date.now() > deadline) {
      log(`warning: ${pending} outbox entries still unpublished after 30 s; measuring on`);
      return;
    }
    await sleep(250);
  }
}

interface Setup {
  label: string;
  services: ServiceProcess[];
  redisPids: Record<string, number | null>;
  redis: Redis | Cluster;
  prefix: string;
}

/**
 * One measured window: one autocannon per (instance, event) pair at once, connections split
 * evenly. Returns the total and per-process CPU.
 */
async function measure(
  setup: Setup,
  kind: 'join' | 'poll',
  eventIds: string[],
  sessionIds: Map<string, string[]>,
  runTag: string,
): Promise<Figures> {
  const { services } = setup;
  const pairs = services.flatMap((service, i) => eventIds.map((eventId) => ({ service, i, eventId })));
  const perPair = Math.max(1, Math.round(CONNECTIONS / pairs.length));
  const duration = kind === 'join' ? DURATION : POLL_DURATION;
  const pids: Record<string, number | null> = { ...setup.redisPids, kafka: kafkaPid() };
  services.forEach((service, i) => (pids[`instance${i + 1}`] = service.child.pid ?? null));
  const run = (pair: (typeof pairs)[number], seconds: number, tag: string) =>
    kind === 'join'
      ? runJoinLoad({
          baseUrl: pair.service.baseUrl,
          eventId: pair.eventId,
          connections: perPair,
          duration: seconds,
          userPrefix: `${tag}-${pair.i}-`,
        })
      : runPathLoad({
          baseUrl: pair.service.baseUrl,
          method: 'GET',
          paths: sessionIds.get(pair.eventId)!.map((id) => `${SESSIONS_PATH}${id}`),
          connections: perPair,
          duration: seconds,
        });
  if (WARMUP > 0) await Promise.all(pairs.map((pair) => run(pair, WARMUP, `${runTag}w`)));
  const outboxes = eventIds.map((eventId) => `${setup.prefix}{${eventId}}:outbox`);
  await waitForOutboxes(setup.redis, outboxes);
  await waitForQuiet(`${setup.label} ${kind}`, 0.25);
  const boxBefore = boxBusyCpuMs();
  const meter = new CpuMeter(pids);
  const runs = await Promise.all(pairs.map((pair) => run(pair, duration, runTag)));
  const { wallMs, cpuMs } = meter.stop();
  const boxAfter = boxBusyCpuMs();
  const ok = runs.reduce((sum, each) => sum + each.ok, 0);
  const perSecond = runs.reduce((sum, each) => sum + each.perSecond, 0);
  const perInstance = services.map((_, i) =>
    runs.filter((_, k) => pairs[k].i === i).reduce((sum, each) => sum + each.perSecond, 0),
  );
  const all = new Samples();
  for (const each of runs) for (const value of each.samples) all.push(value);
  const cores: Record<string, number | null> = {};
  const cpuUsPerOp: Record<string, number | null> = {};
  for (const [name, ms] of Object.entries(cpuMs)) {
    cores[name] = ms === null ? null : ms / wallMs;
    cpuUsPerOp[name] = ms === null || ok === 0 ? null : (ms * 1000) / ok;
  }
  const boxIdleShare =
    boxBefore === null || boxAfter === null
      ? null
      : Math.max(0, 1 - (boxAfter - boxBefore) / (wallMs * cpus().length));
  const instanceCores = services.map((_, i) => cores[`instance${i + 1}`] ?? 0);
  const totalCores = Object.entries(cores)
    .filter(([name]) => name !== 'other')
    .reduce((sum, [, value]) => sum + (value ?? 0), 0);
  const redisCores = Object.keys(setup.redisPids).map((name) => cores[name] ?? 0);
  let limit: string;
  if (boxIdleShare !== null && boxIdleShare < 0.1)
    limit = `the box: ${fmt(totalCores)} of ${cpus().length} cores busy (instances ${instanceCores.map((c) => fmt(c)).join('+')}, load gen ${fmt(cores.loadGenerator)}, redis ${redisCores.map((c) => fmt(c)).join('+')})`;
  else if (Math.max(...instanceCores) > 0.8)
    limit = `one instance's event loop (${fmt(Math.max(...instanceCores))} core)`;
  else if (Math.max(...redisCores) > 0.8) limit = `Redis (${fmt(Math.max(...redisCores))} core)`;
  else
    limit = `not saturated (box ${fmt((boxIdleShare ?? 0) * 100, 0)}% idle): latency-bound at ${CONNECTIONS} connections`;
  const non2xx = runs.reduce((sum, each) => sum + each.requests - each.ok, 0);
  const errors = runs.reduce((sum, each) => sum + each.errors, 0);
  const figures: Figures = {
    label: setup.label,
    kind,
    instances: services.length,
    events: eventIds.length,
    perSecond,
    perInstance,
    non2xx,
    errors,
    latencyMs: summarize(all.values()),
    cores,
    cpuUsPerOp,
    boxIdleShare,
    limit,
  };
  log(
    `${setup.label} ${kind}: ${fmt(perSecond, 0)}/s (${perInstance.map((v) => fmt(v, 0)).join(' + ')}), p50 ${fmt(figures.latencyMs.p50)} ms, p99 ${fmt(figures.latencyMs.p99)} ms, ` +
      `box idle ${fmt((boxIdleShare ?? 0) * 100, 0)}%` +
      (non2xx || errors ? `; non-2xx ${non2xx}, errors ${errors}` : '') +
      `; limit: ${limit}`,
  );
  return figures;
}

async function startInstances(
  count: number,
  prefix: string,
  env: Record<string, string>,
  into: ServiceProcess[],
): Promise<void> {
  while (into.length < count) {
    const service = await startService(prefix, env);
    into.push(service);
    log(`instance ${into.length} up on ${service.baseUrl} (pid ${service.child.pid})`);
  }
}

async function singleRedisPhase(redis: Redis, prefix: string): Promise<Figures[]> {
  const results: Figures[] = [];
  const services: ServiceProcess[] = [];
  const pid = await redisPid(redis);
  for (const count of INSTANCES) {
    await startInstances(count, prefix, {}, services);
    const active = services.slice(0, count);
    const setup: Setup = {
      label: `${count} instance${count > 1 ? 's' : ''}, Redis 6390`,
      services: active,
      redisPids: { redis: pid },
      redis,
      prefix,
    };
    const eventId = `so-${count}`;
    await putEvent(active[0].baseUrl, eventId, { capacity: 10, state: 'paused' });
    results.push(await measure(setup, 'join', [eventId], new Map(), `j${count}`));
    const pollEvent = `sp-${count}`;
    await putEvent(active[0].baseUrl, pollEvent, { capacity: 10, state: 'paused' });
    const ids = await joinSessions(active, pollEvent, POLL_SESSIONS);
    results.push(await measure(setup, 'poll', [pollEvent], new Map([[pollEvent, ids]]), `p${count}`));
  }
  for (const service of services) await service.stop();
  return results;
}

/** Event ids whose hash slots fall on different masters of the cluster (one per master). */
async function spreadEventIds(cluster: Cluster, prefix: string, count: number): Promise<string[]> {
  const slots = (await cluster.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  const masterOf = (slot: number) => slots.findIndex(([from, to]) => slot >= from && slot <= to);
  const chosen = new Map<number, string>();
  for (let n = 0; chosen.size < count && n < 1000; n++) {
    const eventId = `sc-${n}`;
    const slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', `${prefix}{${eventId}}:config`));
    const master = masterOf(slot);
    if (!chosen.has(master)) chosen.set(master, eventId);
  }
  return [...chosen.values()];
}

async function clusterPhase(prefix: string): Promise<Figures[]> {
  const cluster = new RedisClusterProcesses(CLUSTER_PORT);
  onCleanup(async () => cluster.cleanup());
  log(`starting a 3-master Redis Cluster on ${cluster.nodesSetting}`);
  await cluster.start();
  const client = new Cluster(
    cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    { redisOptions: { maxRetriesPerRequest: 1 } },
  );
  onCleanup(() => client.quit());
  const redisPids: Record<string, number | null> = {};
  for (const node of cluster.nodes) {
    const direct = connectRedis(node.url);
    redisPids[`redis${node.port}`] = await redisPid(direct);
    await direct.quit();
  }
  const count = Math.max(...INSTANCES);
  const services: ServiceProcess[] = [];
  await startInstances(count, prefix, { REDIS_CLUSTER_NODES: cluster.nodesSetting }, services);
  const setup: Setup = {
    label: `${count} instances, 3-master cluster`,
    services,
    redisPids,
    redis: client,
    prefix,
  };
  const results: Figures[] = [];
  const hot = 'sc-hot';
  await putEvent(services[0].baseUrl, hot, { capacity: 10, state: 'paused' });
  results.push(
    await measure({ ...setup, label: `${setup.label}, one hot event` }, 'join', [hot], new Map(), 'ch'),
  );
  const spread = await spreadEventIds(client, prefix, 3);
  for (const eventId of spread)
    await putEvent(services[0].baseUrl, eventId, { capacity: 10, state: 'paused' });
  results.push(
    await measure(
      { ...setup, label: `${setup.label}, ${spread.length} events on ${spread.length} masters` },
      'join',
      spread,
      new Map(),
      'cs',
    ),
  );
  for (const service of services) await service.stop();
  return results;
}

async function main(): Promise<void> {
  const build = ensureBuilt();
  const redis = connectRedis(REDIS_URL);
  onCleanup(() => redis.quit());
  const prefix = benchPrefix('so');
  onCleanup(() => deleteByPrefix(redis, prefix));
  const facts = await environmentFacts(redis);
  console.log(
    `options: ${JSON.stringify({ INSTANCES, CONNECTIONS, DURATION, POLL_DURATION, POLL_SESSIONS, WARMUP, CLUSTER, CLUSTER_PORT, build: build.reason })}`,
  );
  const results = await singleRedisPhase(redis, prefix);
  if (CLUSTER) results.push(...(await clusterPhase(prefix)));

  const cell = (figures: Figures, name: string) => fmt(figures.cores[name] ?? null);
  printTable(
    `Scale-out on ${cpus().length} cores, ${CONNECTIONS} connections in total (cores = CPU ms / wall ms; µs = CPU per operation)`,
    [
      'configuration',
      'op',
      'total/s',
      'per instance/s',
      'p50 ms',
      'p99 ms',
      'instances cores',
      'µs/op instances',
      'redis cores',
      'kafka cores',
      'loadgen cores',
      'box idle',
    ],
    results.map((figures) => {
      const instanceNames = Object.keys(figures.cores).filter((name) => name.startsWith('instance'));
      const redisNames = Object.keys(figures.cores).filter((name) => name.startsWith('redis'));
      const instanceUs = instanceNames.reduce((sum, name) => sum + (figures.cpuUsPerOp[name] ?? 0), 0);
      return [
        figures.label,
        figures.kind,
        fmt(figures.perSecond, 0),
        figures.perInstance.map((value) => fmt(value, 0)).join(' + '),
        fmt(figures.latencyMs.p50),
        fmt(figures.latencyMs.p99),
        instanceNames.map((name) => cell(figures, name)).join(' + '),
        fmt(instanceUs, 0),
        redisNames.map((name) => cell(figures, name)).join(' + '),
        cell(figures, 'kafka'),
        cell(figures, 'loadGenerator'),
        figures.boxIdleShare === null ? '-' : `${fmt(figures.boxIdleShare * 100, 0)}%`,
      ];
    }),
  );
  console.log('\nwhat limits each:');
  for (const figures of results) console.log(`- ${figures.label} ${figures.kind}: ${figures.limit}`);
  const file = writeResult('scale-out', {
    facts,
    options: { INSTANCES, CONNECTIONS, DURATION, POLL_DURATION, POLL_SESSIONS, WARMUP, CLUSTER },
    results,
  });
  console.log(`\nwrote ${file}`);
}

runBenchmark(main);
