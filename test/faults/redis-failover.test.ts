import Redis from 'ioredis';
import { eventually, startApp, type RunningApp } from '../support/app-harness';
import { RedisClusterProcesses, RedisSentinelProcesses, type RedisProcess } from '../support/redis-processes';

const CLIENTS = 10;
const LOAD_MS = 14_000;
const KILL_AFTER_MS = 4000;
const BASE_PORT = Number(process.env.REDIS_FAILOVER_PORT ?? 6481);

interface Answer {
  user: string;
  status: number;
  at: number;
}

/** What the drill needs of a Redis set-up with failover. */
interface FailoverSetup {
  label: string;
  start(): Promise<void>;
  /** The service's settings to reach it. */
  env: Record<string, string>;
  /** The port of the master that holds `key` now. */
  masterPortOf(key: string): Promise<number>;
  node(port: number): RedisProcess;
  /** The killed node back, as a replica of the master that took over (as an operator's restart makes it). */
  restartAsReplica(node: RedisProcess, newMaster: number): Promise<void>;
  cleanup(): void;
}

function sentinelSetup(basePort: number, replicas: number): FailoverSetup {
  const redis = new RedisSentinelProcesses(basePort, { replicas });
  return {
    label: `Sentinel (a master, ${replicas === 1 ? 'a replica' : `${replicas} replicas`}, three Sentinels)`,
    start: () => redis.start(),
    env: { REDIS_SENTINELS: redis.sentinelsSetting, REDIS_SENTINEL_MASTER: redis.masterName },
    masterPortOf: async () => redis.masterPort(),
    node: (port) => redis.node(port),
    restartAsReplica: (node, newMaster) => redis.rejoinAsReplica(node, newMaster),
    cleanup: () => redis.cleanup(),
  };
}

function clusterSetup(basePort: number, replicasPerMaster: number): FailoverSetup {
  const cluster = new RedisClusterProcesses(basePort, replicasPerMaster);
  return {
    label: `Redis Cluster (3 masters, ${replicasPerMaster} replicas each)`,
    start: () => cluster.start(),
    env: { REDIS_CLUSTER_NODES: cluster.nodesSetting },
    // Asked of a node that is not the one to be killed.
    masterPortOf: async (key) => {
      for (const node of cluster.nodes) {
        try {
          return await cluster.masterPortOf(key, node.port);
        } catch {
          // that node is down: ask the next
        }
      }
      throw new Error('no node answers');
    },
    node: (port) => cluster.nodes.find((node) => node.port === port)!,
    // Its nodes file still names the cluster: it comes back as the new master's replica.
    async restartAsReplica(node) {
      await node.start();
      const client = new Redis(node.port, '127.0.0.1');
      await eventually(
        () => client.info('replication'),
        (info) => info.includes('role:slave'),
        20_000,
        200,
      ).finally(() => client.disconnect());
      await cluster.waitForReplicaLink(node);
    },
    cleanup: () => cluster.cleanup(),
  };
}

/**
 * Issue 26, the failover drill: joins from 10 concurrent clients, the master holding the event
 * SIGKILLed mid-load, a replica promoted (by the Sentinels, or by the cluster's own election),
 * then the killed node back as a replica of the new master. With REDIS_WAIT_REPLICAS=1 no
 * acknowledged place may be lost, nothing answers but 201 or 503, readiness recovers by itself and
 * the longest gap without an acknowledged join stays under 10 s. With 0 the same drill measures
 * what asynchronous replication lost (the figure docs/operations.md quotes).
 */
// With REDIS_WAIT_REPLICAS=1 a set-up keeps two replicas per master, as docs/operations.md asks:
// the one that is not promoted follows the new master, so acknowledgements resume with the
// switch, not once the dead node is back.
describe.each([
  { replicas: 1, setup: () => sentinelSetup(BASE_PORT, 2) },
  { replicas: 0, setup: () => sentinelSetup(BASE_PORT + 4, 1) },
  { replicas: 1, setup: () => clusterSetup(BASE_PORT + 10, 2) },
])('Redis failover under joins, REDIS_WAIT_REPLICAS=$replicas', ({ replicas, setup }) => {
  const redis = setup();
  let svc: RunningApp;

  beforeAll(async () => {
    await redis.start();
    svc = await startApp({
      env: { ...redis.env, REDIS_WAIT_REPLICAS: String(replicas), REDIS_WAIT_TIMEOUT_MS: '500' },
    });
  }, 60_000);
  afterAll(async () => {
    await svc?.close().catch(() => undefined);
    redis.cleanup();
  });

  it(`keeps every acknowledged place through the master’s SIGKILL and recovers by itself (${redis.label})`, async () => {
    const eventId = await svc.http.createEvent('failover', { capacity: 1, state: 'paused' });
    const userIndex = (user: string) => `${svc.env.REDIS_KEY_PREFIX}{${eventId}}:u:${user}`;
    const answers: Answer[] = [];
    const started = Date.now();
    let next = 0;
    const client = async (): Promise<void> => {
      while (Date.now() - started < LOAD_MS) {
        const user = `failover-${next++}`;
        const response = await svc.http.join(user, eventId).catch(() => null);
        answers.push({ user, status: response?.status ?? 0, at: Date.now() });
        if (response?.status !== 201) await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, client));

    await new Promise((resolve) => setTimeout(resolve, KILL_AFTER_MS));
    const oldMaster = await redis.masterPortOf(userIndex('any'));
    const killedAt = Date.now();
    await redis.node(oldMaster).kill();
    const newMaster = await eventually(
      () => redis.masterPortOf(userIndex('any')),
      (port) => port !== oldMaster,
      30_000,
      100,
    );
    const switchedAfterMs = Date.now() - killedAt;
    await redis.restartAsReplica(redis.node(oldMaster), newMaster);
    await load;

    // Every acknowledged place is on the master now.
    const acknowledged = answers.filter((answer) => answer.status === 201);
    const master = new Redis(newMaster, '127.0.0.1');
    const present = await Promise.all(acknowledged.map((answer) => master.exists(userIndex(answer.user))));
    master.disconnect();
    const lost = acknowledged.filter((_, i) => present[i] !== 1);
    const times = acknowledged.map((answer) => answer.at).sort((a, b) => a - b);
    const longestGapMs = Math.max(0, ...times.slice(1).map((at, i) => at - times[i]));
    const refused = answers.filter((answer) => answer.status !== 201);
    const unexpected = refused.filter((answer) => answer.status !== 503 && answer.status !== 0);
    await eventually(
      () => svc.http.get('/health/ready'),
      (response) => response.status === 200,
      20_000,
      200,
    );
    process.stdout.write(
      `[redis-failover] ${redis.label}, REDIS_WAIT_REPLICAS=${replicas}: ${answers.length} joins from ${CLIENTS} clients, ` +
        `acknowledged ${acknowledged.length}, lost ${lost.length}, 503 ${refused.filter((a) => a.status === 503).length}, ` +
        `no answer ${refused.filter((a) => a.status === 0).length}, other ${unexpected.length}; ` +
        `new master ${switchedAfterMs} ms after the SIGKILL; longest gap without an acknowledged join ${longestGapMs} ms\n`,
    );
    expect(unexpected).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(0);
    if (replicas > 0) {
      expect(lost).toEqual([]);
      expect(longestGapMs).toBeLessThan(10_000);
    }
  }, 120_000);
});
