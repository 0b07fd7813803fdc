/**
 * What splitting one event over several hash slots would buy on a Redis Cluster (issue 23), measured
 * at the Redis level before the service does it: docs/decisions/0023-sharded-events.md. A PROTOTYPE
 * of the design's Redis work, not the feature: the service does not shard events yet.
 *
 * Method: a 3-master Redis Cluster of the benchmark's own on loopback, the app's join-12.lua and
 * admission-tick-9.lua called with pipelined EVALSHA (as bench:ceiling does), straight to the master
 * that owns each slot. Three ways to take the same joins of one event:
 *   - unsharded: every join on the event's one slot (today);
 *   - 3 shards, per-shard order: a join on the shard its user id hashes to, on that master alone
 *     (arrival order across shards would come from each master's clock);
 *   - 3 shards + sequencer: the same, plus one INCR per join on a counter in shard 0's slot (the
 *     event's one arrival sequence, exact order across masters).
 * Reported per master: Redis CPU (its /proc time) per join it ran and per join of the event, and
 * the event's ceiling: one fully busy core on its busiest master. Then the merge's admission
 * work: the heads of each shard read (ZRANGE WITHSCORES), and each shard's own admission step
 * admitting its share, against one admission step on the unsharded event. The ways take turns
 * in `rounds` rounds, so whatever else runs on the box hits each alike.
 *
 *   flock /tmp/waitroom-bench.lock npm run bench:sharded -- [--joins=150000] [--rounds=3] [--admit=30000] [--batch=100]
 *                                                          [--cluster-port=7251]
 *
 * Writes bench-results/sharded.json.
 */
import Redis from 'ioredis';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { RedisClusterProcesses } from '../test/support/redis-processes';
import {
  benchOptions,
  fmt,
  log,
  onCleanup,
  printTable,
  runBenchmark,
  waitForQuiet,
  writeResult,
} from './support/common';
import {
  RedisKeys,
  admissionCall,
  appScripts,
  eventSettings,
  joinCall,
  loadIntoRedis,
  pipelinedEvalsha,
  script,
  upsertEvent,
  type EventKeys,
} from './support/lua';

const OPTIONS = benchOptions({ joins: 150_000, rounds: 3, admit: 30_000, batch: 100, clusterPort: 7251 });
const SHARDS = 3;
const CHUNK = 500;

interface Master {
  port: number;
  pid: number;
  redis: Redis;
}

interface WayFigures {
  way: string;
  joins: number;
  perSecond: number;
  /** Per master, by port: Redis CPU µs per join of the event, and per join that master ran. */
  masters: { port: number; joinsRun: number; usPerEventJoin: number; usPerJoinRun: number | null }[];
  ceilingPerSecond: number;
}

function pidOf(port: number): number {
  const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'server'], { encoding: 'utf8' });
  return Number(/process_id:(\d+)/.exec(info)![1]);
}

/** FNV-1a of the user id: which shard a user's place lives in (any stable hash would do). */
function shardOf(userId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) hash = Math.imul(hash ^ userId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

async function main(): Promise<void> {
  const cluster = new RedisClusterProcesses(OPTIONS.clusterPort);
  onCleanup(async () => cluster.cleanup());
  // Cleanups run last first: the connections go before the cluster does.
  log(`starting a 3-master Redis Cluster on ${cluster.nodesSetting}`);
  await cluster.start();
  const masters: Master[] = cluster.nodes.map((node) => ({
    port: node.port,
    pid: pidOf(node.port),
    redis: new Redis(node.port, '127.0.0.1', { retryStrategy: () => null }),
  }));
  onCleanup(async () => masters.forEach((master) => master.redis.disconnect()));
  const scripts = appScripts();
  for (const master of masters) await loadIntoRedis(master.redis, scripts);
  const join = script(scripts, 'join');
  const admission = script(scripts, 'admission-tick');
  const keys = new RedisKeys('wr:');

  // Event ids whose slot is on each master: shard i of event "sh" is the event id "sh#i" (its
  // keys' hash tag), chosen so the three shards land on three masters, as the design would
  // place them (a cluster spreads 16384 slots; a real deployment checks the same).
  const masterOf = (eventId: string) => cluster.masterPortOf(keys.forEvent(eventId).config);
  const shardIds: string[] = [];
  for (let n = 0; shardIds.length < SHARDS; n++) {
    const id = `sh#${n}`;
    const port = await masterOf(id);
    const taken = await Promise.all(shardIds.map(masterOf));
    if (!taken.includes(port)) shardIds.push(id);
  }
  const shardPorts = await Promise.all(shardIds.map(masterOf));
  const masterByPort = new Map(masters.map((m) => [m.port, m]));
  const shardMasters = shardPorts.map((port) => masterByPort.get(port)!);
  log(`shards ${shardIds.map((id, i) => `${id} on :${shardPorts[i]}`).join(', ')}`);

  const settings = eventSettings({ state: 'open' });
  for (const [i, id] of shardIds.entries())
    await upsertEvent({ redis: shardMasters[i].redis, scripts, keys }, id, settings, false);
  const unshardedId = 'un#0';
  const unshardedMaster = masterByPort.get(await masterOf(unshardedId))!;
  await upsertEvent({ redis: unshardedMaster.redis, scripts, keys }, unshardedId, settings, false);
  const sequencerKey = `${keys.forEvent(shardIds[0]).config}:arrivals`;

  // Redis's main thread (the one that runs commands), in ns from schedstat: /proc's process
  // times tick in 10 ms steps, coarse for a master's share of a round.
  const cpuOfAll = () =>
    masters.map(
      (m) => Number(readFileSync(`/proc/${m.pid}/task/${m.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6,
    );
  const created = (reply: unknown) => {
    if ((reply as string[])[0] !== 'CREATED') throw new Error(`join: ${String(reply)}`);
  };

  interface Way {
    name: string;
    route: (userId: string) => { master: Master; keys: EventKeys };
    sequenced: boolean;
    joins: number;
    wallMs: number;
    cpuMs: number[];
    joinsRun: Map<number, number>;
  }
  const toShard = (userId: string) => {
    const shard = shardOf(userId, SHARDS);
    return { master: shardMasters[shard], keys: keys.forEvent(shardIds[shard]) };
  };
  const way = (name: string, route: Way['route'], sequenced: boolean): Way => ({
    name,
    route,
    sequenced,
    joins: 0,
    wallMs: 0,
    cpuMs: masters.map(() => 0),
    joinsRun: new Map(masters.map((m) => [m.port, 0])),
  });
  const allWays = [
    way('unsharded', () => ({ master: unshardedMaster, keys: keys.forEvent(unshardedId) }), false),
    way('3 shards, per-shard order', toShard, false),
    way('3 shards + arrival sequencer', toShard, true),
  ];

  /**
   * `count` joins of new users, each on its route's master; the masters take turns (all of one
   * master's joins of the round, then the next), so each runs on a core of its own as it would on
   * its own machine: three busy Redis servers and the client on two cores would measure the
   * box's contention, not the design. The sequencer's INCRs, one per join, go to shard 0's
   * master in a turn of their own.
   */
  async function joinRound(target: Way, round: number, count: number): Promise<void> {
    await waitForQuiet(`${target.name}, round ${round + 1}`, 0.25);
    const byMaster = new Map<Master, { userId: string; keys: EventKeys }[]>();
    for (let i = 0; i < count; i++) {
      const userId = `${allWays.indexOf(target)}-${round}-${i}`;
      const { master, keys: eventKeys } = target.route(userId);
      if (!byMaster.has(master)) byMaster.set(master, []);
      byMaster.get(master)!.push({ userId, keys: eventKeys });
    }
    const cpuBefore = cpuOfAll();
    const started = performance.now();
    if (target.sequenced) {
      const sequencer = shardMasters[0].redis;
      for (let from = 0; from < count; from += CHUNK) {
        const pipeline = sequencer.pipeline();
        for (let i = from; i < Math.min(count, from + CHUNK); i++) pipeline.incr(sequencerKey);
        await pipeline.exec();
      }
    }
    for (const [master, joins] of byMaster) {
      await pipelinedEvalsha(
        master.redis,
        join,
        joins.length,
        (i) => joinCall(joins[i].keys, joins[i].userId),
        {
          chunk: CHUNK,
          inFlight: 4,
          check: created,
        },
      );
      target.joinsRun.set(master.port, target.joinsRun.get(master.port)! + joins.length);
    }
    target.wallMs += performance.now() - started;
    cpuOfAll().forEach((after, i) => (target.cpuMs[i] += after - cpuBefore[i]));
    target.joins += count;
  }

  const perRound = Math.ceil(OPTIONS.joins / OPTIONS.rounds);
  for (let round = 0; round < OPTIONS.rounds; round++)
    for (let k = 0; k < allWays.length; k++)
      await joinRound(allWays[(round + k) % allWays.length], round, perRound);

  const ways: WayFigures[] = allWays.map((target) => {
    const figures = masters.map((m, i) => ({
      port: m.port,
      joinsRun: target.joinsRun.get(m.port)!,
      usPerEventJoin: (target.cpuMs[i] * 1000) / target.joins,
      usPerJoinRun:
        target.joinsRun.get(m.port)! > 0 ? (target.cpuMs[i] * 1000) / target.joinsRun.get(m.port)! : null,
    }));
    const row = {
      way: target.name,
      joins: target.joins,
      perSecond: (target.joins / target.wallMs) * 1000,
      masters: figures,
      ceilingPerSecond: 1e6 / Math.max(...figures.map((f) => f.usPerEventJoin)),
    };
    log(
      `${row.way}: ${fmt(row.perSecond, 0)} joins/s reached; Redis µs per event join by master ${figures
        .map((f) => `:${f.port} ${fmt(f.usPerEventJoin)}`)
        .join(', ')} -> ceiling ${fmt(row.ceilingPerSecond, 0)}/s`,
    );
    return row;
  });

  // ---- the merge's admission work: `admit` people in steps of `batch`.
  async function admissions(way: string, step: () => Promise<number>): Promise<Record<string, unknown>> {
    await waitForQuiet(way, 0.25);
    const cpuBefore = cpuOfAll();
    let admitted = 0;
    let steps = 0;
    while (admitted < OPTIONS.admit) {
      const now = await step();
      if (now === 0) throw new Error(`${way}: a step admitted nobody`);
      admitted += now;
      steps++;
    }
    const cpuMs = cpuOfAll().map((after, i) => after - cpuBefore[i]);
    const usPerAdmitted = masters.map((m, i) => ({ port: m.port, us: (cpuMs[i] * 1000) / admitted }));
    const busiest = Math.max(...usPerAdmitted.map((m) => m.us));
    log(
      `${way}: ${admitted} admitted in ${steps} steps; Redis µs per admission by master ${usPerAdmitted
        .map((m) => `:${m.port} ${fmt(m.us)}`)
        .join(', ')} -> ceiling ${fmt(1e6 / busiest, 0)}/s`,
    );
    return { way, admitted, steps, usPerAdmitted, ceilingPerSecond: 1e6 / busiest };
  }
  const tick = (master: Master, eventKeys: EventKeys, most: number) =>
    master.redis
      .evalsha(admission.sha, admission.numberOfKeys, ...admissionCall(eventKeys, most))
      .then((reply) => Number((reply as unknown[])[3]));
  const admissionRows = [
    await admissions('unsharded: one admission step per batch', () =>
      tick(unshardedMaster, keys.forEvent(unshardedId), OPTIONS.batch),
    ),
    await admissions('3 shards: heads read, merged, each shard admits its share', async () => {
      const heads = await Promise.all(
        shardIds.map((id, i) =>
          shardMasters[i].redis.zrange(keys.forEvent(id).queue, 0, OPTIONS.batch - 1, 'WITHSCORES'),
        ),
      );
      const merged = heads
        .flatMap((flat, shard) =>
          flat.filter((_, i) => i % 2 === 1).map((score) => ({ shard, score: Number(score) })),
        )
        .sort((a, b) => a.score - b.score)
        .slice(0, OPTIONS.batch);
      const share = shardIds.map((_, shard) => merged.filter((head) => head.shard === shard).length);
      const admitted = await Promise.all(
        shardIds.map((id, i) =>
          share[i] > 0 ? tick(shardMasters[i], keys.forEvent(id), share[i]) : Promise.resolve(0),
        ),
      );
      return admitted.reduce((sum, n) => sum + n, 0);
    }),
  ];

  const unsharded = ways[0];
  printTable(
    `One event's joins on a 3-master Redis Cluster (${OPTIONS.joins.toLocaleString('en-US')} joins per way, pipelined EVALSHA; a prototype of the design's Redis work)`,
    [
      'way',
      'joins/s reached (masters in turn)',
      'Redis µs per event join, by master',
      'busiest ÷ unsharded per join run',
      'ceiling/s',
      'x unsharded',
    ],
    ways.map((way) => {
      const perJoinRun = way.masters.filter((m) => m.usPerJoinRun !== null).map((m) => m.usPerJoinRun!);
      const unshardedPerJoin = unsharded.masters.find((m) => m.joinsRun > 0)!.usPerJoinRun!;
      return [
        way.way,
        fmt(way.perSecond, 0),
        way.masters.map((m) => fmt(m.usPerEventJoin)).join(' / '),
        fmt(Math.max(...perJoinRun) / unshardedPerJoin),
        fmt(way.ceilingPerSecond, 0),
        fmt(way.ceilingPerSecond / unsharded.ceilingPerSecond),
      ];
    }),
  );
  printTable(
    `Admissions, ${OPTIONS.admit.toLocaleString('en-US')} people in steps of ${OPTIONS.batch}`,
    ['way', 'steps', 'ceiling admissions/s'],
    admissionRows.map((row) => [String(row.way), String(row.steps), fmt(row.ceilingPerSecond as number, 0)]),
  );
  log(
    `wrote ${writeResult('sharded', { options: OPTIONS, shards: SHARDS, ways, admissions: admissionRows })}`,
  );
}

runBenchmark(main);
