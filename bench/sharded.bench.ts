/**
 * One event beyond one Redis core (issue 23): the same joins through the built service into one
 * event unsharded and into one event with `shards: 3`, on a 3-master Redis Cluster this benchmark
 * starts on loopback, each shard of the sharded event on its own master
 * (docs/decisions/0023-sharded-events.md).
 *
 * Method: one service instance (relay publishing, its admission scheduler and snapshot loops
 * running) on the cluster; autocannon joins new users into each event in turn, `rounds` times
 * (the ways alternate, so whatever else runs on the box hits each alike). Each window runs until
 * the relay has published every outbox entry it made, so the relay's Redis work is counted. Redis
 * CPU is each master's main thread (schedstat), per join of the event and per join that master
 * holds. The event's ceiling is docs/scale-out.md's: one fully busy core on its busiest master,
 * `1e6 / (Redis µs per event join on that master)`. On 2 cores the joins/s reached is the box's
 * (three Redis servers, the service, Kafka and the load generator share them); the Redis CPU per
 * join, and so the ceiling, is what carries to a machine with a core per master.
 *
 *   flock /tmp/waitroom-bench.lock npm run bench:sharded -- [--duration=8] [--rounds=3] [--connections=40]
 *                                                          [--cluster-port=7251] [--build=auto|always|never]
 *
 * Writes bench-results/sharded.json.
 */
import { Cluster } from 'ioredis';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { RedisKeys, shardScopes } from '../apps/waitroom/src/redis/redis-keys';
import { RedisClusterProcesses } from '../test/support/redis-processes';
import {
  benchOptions,
  benchPrefix,
  ensureBuilt,
  fmt,
  log,
  onCleanup,
  printTable,
  putEvent,
  runBenchmark,
  sleep,
  startService,
  waitForQuiet,
  writeResult,
} from './support/common';
import { runJoinLoad } from './support/load';

const OPTIONS = benchOptions({ duration: 8, rounds: 3, connections: 40, clusterPort: 7251 });
const SHARDS = 3;
/** Targets (issue 23): each master's Redis CPU per join it holds within 1.2x the unsharded one's; ceiling >= 2.5x. */
export const SHARDED_PER_JOIN_TARGET = 1.2;
export const SHARDED_CEILING_TARGET = 2.5;

interface Way {
  name: string;
  eventId: string;
  shards: number;
  joins: number;
  wallMs: number;
  /** Per master (by port): Redis main-thread CPU ms, and joins it holds. */
  cpuMs: Map<number, number>;
  held: Map<number, number>;
}

export interface ShardedFigures {
  way: string;
  joins: number;
  joinsPerSecond: number;
  masters: { port: number; joinsHeld: number; usPerEventJoin: number; usPerJoinHeld: number | null }[];
  ceilingPerSecond: number;
}

function pidOf(port: number): number {
  const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'server'], { encoding: 'utf8' });
  return Number(/process_id:(\d+)/.exec(info)![1]);
}

/** A Redis server's main thread CPU in ms (schedstat: /proc's process times tick in 10 ms steps). */
function mainThreadCpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

async function main(): Promise<void> {
  const build = ensureBuilt();
  const cluster = new RedisClusterProcesses(OPTIONS.clusterPort);
  onCleanup(async () => cluster.cleanup());
  log(`starting a 3-master Redis Cluster on ${cluster.nodesSetting}`);
  await cluster.start();
  const client = new Cluster(
    cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    { redisOptions: { maxRetriesPerRequest: 1 } },
  );
  onCleanup(() => client.quit());
  const pids = new Map(cluster.nodes.map((node) => [node.port, pidOf(node.port)]));
  const prefix = benchPrefix('sh');
  const keys = new RedisKeys(prefix);
  const masterOf = (scope: string) => cluster.masterPortOf(keys.forEvent(scope).queue);

  // The sharded event: an id whose three shards are on three masters; the unsharded one on any.
  let shardedId = '';
  for (let n = 0; !shardedId; n++) {
    const candidate = `sharded-${n}`;
    const ports = await Promise.all(shardScopes(candidate, SHARDS).map(masterOf));
    if (new Set(ports).size === SHARDS) shardedId = candidate;
  }
  const unshardedId = 'unsharded';
  const service = await startService(prefix, { REDIS_CLUSTER_NODES: cluster.nodesSetting });
  log(`service on ${service.baseUrl}; build: ${build.reason}`);
  // Paused: the joins queue up and nobody is admitted, so the windows measure joins (and the relay).
  await putEvent(service.baseUrl, unshardedId, { capacity: 10, state: 'paused' });
  await putEvent(service.baseUrl, shardedId, { capacity: 10, state: 'paused', shards: SHARDS });

  const way = (name: string, eventId: string, shards: number): Way => ({
    name,
    eventId,
    shards,
    joins: 0,
    wallMs: 0,
    cpuMs: new Map(cluster.nodes.map((node) => [node.port, 0])),
    held: new Map(cluster.nodes.map((node) => [node.port, 0])),
  });
  const ways = [way('unsharded', unshardedId, 1), way(`shards: ${SHARDS}`, shardedId, SHARDS)];
  const scopesOf = (target: Way) => shardScopes(target.eventId, target.shards);
  const outboxesDrained = async (target: Way) => {
    for (let waited = 0; waited < 30_000; waited += 100) {
      let pending = 0;
      for (const scope of scopesOf(target)) pending += await client.xlen(keys.forEvent(scope).outbox);
      if (pending === 0) return;
      await sleep(100);
    }
    log(`warning: ${target.name}: outbox not drained in 30 s`);
  };

  for (let round = 0; round < OPTIONS.rounds; round++) {
    for (let k = 0; k < ways.length; k++) {
      const target = ways[(round + k) % ways.length];
      await waitForQuiet(`${target.name}, round ${round + 1}`, 0.25);
      const lengths = await Promise.all(
        scopesOf(target).map((scope) => client.zcard(keys.forEvent(scope).queue)),
      );
      const before = new Map([...pids].map(([port, pid]) => [port, mainThreadCpuMs(pid)]));
      const started = performance.now();
      const run = await runJoinLoad({
        baseUrl: service.baseUrl,
        eventId: target.eventId,
        connections: OPTIONS.connections,
        duration: OPTIONS.duration,
        userPrefix: `r${round}-`,
      });
      const loadMs = performance.now() - started;
      await outboxesDrained(target);
      for (const [port, pid] of pids)
        target.cpuMs.set(port, target.cpuMs.get(port)! + mainThreadCpuMs(pid) - before.get(port)!);
      const after = await Promise.all(
        scopesOf(target).map((scope) => client.zcard(keys.forEvent(scope).queue)),
      );
      for (const [index, scope] of scopesOf(target).entries()) {
        const port = await masterOf(scope);
        target.held.set(port, target.held.get(port)! + after[index] - lengths[index]);
      }
      if (run.ok === 0 || run.requests !== run.ok)
        log(`warning: ${target.name}: ${run.requests - run.ok} non-2xx`);
      target.joins += run.ok;
      target.wallMs += loadMs;
      log(`${target.name}, round ${round + 1}: ${fmt(run.perSecond, 0)} joins/s`);
    }
  }

  const figures: ShardedFigures[] = ways.map((target) => {
    const masters = cluster.nodes.map((node) => {
      const cpuMs = target.cpuMs.get(node.port)!;
      const held = target.held.get(node.port)!;
      return {
        port: node.port,
        joinsHeld: held,
        usPerEventJoin: (cpuMs * 1000) / target.joins,
        usPerJoinHeld: held > 0 ? (cpuMs * 1000) / held : null,
      };
    });
    return {
      way: target.name,
      joins: target.joins,
      joinsPerSecond: (target.joins / target.wallMs) * 1000,
      masters,
      ceilingPerSecond: 1e6 / Math.max(...masters.map((master) => master.usPerEventJoin)),
    };
  });
  const [unsharded, sharded] = figures;
  const unshardedPerJoin = Math.max(...unsharded.masters.map((master) => master.usPerJoinHeld ?? 0));
  const perJoinRatio =
    Math.max(...sharded.masters.map((master) => master.usPerJoinHeld ?? 0)) / unshardedPerJoin;
  const ceilingRatio = sharded.ceilingPerSecond / unsharded.ceilingPerSecond;
  printTable(
    `One event's joins through the service on a 3-master Redis Cluster (${OPTIONS.rounds} rounds of ${OPTIONS.duration} s each way, relay publishing)`,
    [
      'way',
      'joins/s reached',
      'Redis µs per event join, by master',
      'Redis µs per join held, by master',
      'ceiling/s',
      'x unsharded',
    ],
    figures.map((row) => [
      row.way,
      fmt(row.joinsPerSecond, 0),
      row.masters.map((master) => fmt(master.usPerEventJoin)).join(' / '),
      row.masters
        .map((master) => (master.usPerJoinHeld === null ? '-' : fmt(master.usPerJoinHeld)))
        .join(' / '),
      fmt(row.ceilingPerSecond, 0),
      fmt(row.ceilingPerSecond / unsharded.ceilingPerSecond),
    ]),
  );
  log(
    `busiest master's Redis CPU per join it holds ÷ unsharded: ${fmt(perJoinRatio)} (target <= ${SHARDED_PER_JOIN_TARGET}); ` +
      `ceiling ${fmt(ceilingRatio)}x unsharded (target >= ${SHARDED_CEILING_TARGET})`,
  );
  await service.stop();
  log(
    `wrote ${writeResult('sharded', { options: OPTIONS, shards: SHARDS, figures, perJoinRatio, ceilingRatio })}`,
  );
}

runBenchmark(main);
