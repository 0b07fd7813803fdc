/**
 * One event beyond one Redis core (issue 23): the same joins through the built service into one
 * event unsharded and into one event with `shards: 3`, on a 3-master Redis Cluster this benchmark
 * starts on loopback, each shard of the sharded event on its own master
 * (docs/decisions/0023-sharded-events.md).
 *
 * Method: one service instance (relay publishing, its admission scheduler and snapshot loops
 * running) on the cluster; autocannon joins new users, `rounds` times each way (the ways
 * alternate, so whatever else runs on the box hits each alike). Each window runs until the relay
 * has published every outbox entry it made, so the relay's Redis work is counted. The sharded
 * event's joins come in three windows per round, one per shard: users whose id hashes to that
 * shard only, so the masters take turns (three busy Redis servers, the service, Kafka and the
 * load generator on 2 cores would measure the box's contention, not the design; each master would
 * have a core of its own in production). Redis CPU is each master's main thread (schedstat).
 * Reported per master: its Redis µs per join of the event, users spread evenly over the shards
 * (the mean over the three windows of its CPU per join: its own shard's joins, shard 0's arrival
 * number for every join, its part of the background), and that × 3, its Redis CPU per join it
 * holds, against the unsharded master's per join. The event's ceiling is docs/scale-out.md's: one
 * fully busy core on its busiest master, `1e6 / (Redis µs per event join on that master)`.
 *
 *   flock /tmp/waitroom-bench.lock npm run bench:sharded -- [--duration=8] [--rounds=3] [--connections=100]
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
import { shardOfUser } from '../apps/waitroom/src/queue/session-id';

const OPTIONS = benchOptions({ duration: 8, rounds: 3, connections: 100, clusterPort: 7251 });
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
  /** Per master (by port): Redis main-thread CPU µs per join of the event, users spread evenly. */
  usPerEventJoin: Map<number, number>;
}

export interface ShardedFigures {
  way: string;
  joins: number;
  joinsPerSecond: number;
  /** usPerJoinHeld: usPerEventJoin × shards, the master's Redis CPU per join of its own shard, shares included. */
  masters: { port: number; usPerEventJoin: number; usPerJoinHeld: number }[];
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
    usPerEventJoin: new Map(cluster.nodes.map((node) => [node.port, 0])),
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
  /** One window of joins (users of one shard, or any); each master's Redis CPU µs per join, and the joins. */
  const window = async (target: Way, label: string, shard: number | null, seconds: number) => {
    await waitForQuiet(label, 0.25);
    const before = new Map([...pids].map(([port, pid]) => [port, mainThreadCpuMs(pid)]));
    const started = performance.now();
    let counter = 0;
    const prefix = `${label.replace(/[^a-z0-9]/gi, '')}-`;
    const nextUser = () => {
      for (;;) {
        const userId = `${prefix}${counter++}`;
        if (shard === null || shardOfUser(userId, SHARDS) === shard) return userId;
      }
    };
    const run = await runJoinLoad({
      baseUrl: service.baseUrl,
      eventId: target.eventId,
      connections: OPTIONS.connections,
      duration: seconds,
      userPrefix: prefix,
      nextUserId: nextUser,
    });
    const wallMs = performance.now() - started;
    await outboxesDrained(target);
    if (run.ok === 0 || run.requests !== run.ok) log(`warning: ${label}: ${run.requests - run.ok} non-2xx`);
    const usPerJoin = new Map(
      [...pids].map(([port, pid]) => [
        port,
        ((mainThreadCpuMs(pid) - before.get(port)!) * 1000) / Math.max(1, run.ok),
      ]),
    );
    log(
      `${label}: ${fmt(run.perSecond, 0)} joins/s; Redis µs per join by master ${[...usPerJoin].map(([port, us]) => `:${port} ${fmt(us)}`).join(', ')}`,
    );
    return { joins: run.ok, wallMs, usPerJoin };
  };

  for (let round = 0; round < OPTIONS.rounds; round++) {
    for (let k = 0; k < ways.length; k++) {
      const target = ways[(round + k) % ways.length];
      // The unsharded event in one window; the sharded one in a window per shard (a third of the time each).
      const windows =
        target.shards === 1
          ? [await window(target, `${target.name}, round ${round + 1}`, null, OPTIONS.duration)]
          : await (async () => {
              const each = [];
              for (let shard = 0; shard < target.shards; shard++)
                each.push(
                  await window(
                    target,
                    `${target.name} shard ${shard}, round ${round + 1}`,
                    shard,
                    OPTIONS.duration / target.shards,
                  ),
                );
              return each;
            })();
      for (const { joins, wallMs } of windows) {
        target.joins += joins;
        target.wallMs += wallMs;
      }
      // Users spread evenly over the shards: the mean over the windows of each master's cost per join.
      for (const port of pids.keys()) {
        const mean = windows.reduce((sum, each) => sum + each.usPerJoin.get(port)!, 0) / windows.length;
        target.usPerEventJoin.set(port, target.usPerEventJoin.get(port)! + mean / OPTIONS.rounds);
      }
    }
  }

  const figures: ShardedFigures[] = ways.map((target) => {
    const masters = cluster.nodes.map((node) => {
      const usPerEventJoin = target.usPerEventJoin.get(node.port)!;
      return { port: node.port, usPerEventJoin, usPerJoinHeld: usPerEventJoin * target.shards };
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
  // The unsharded event's master is its busiest (the others hold none of it).
  const unshardedPerJoin = Math.max(...unsharded.masters.map((master) => master.usPerEventJoin));
  const perJoinRatio = Math.max(...sharded.masters.map((master) => master.usPerJoinHeld)) / unshardedPerJoin;
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
