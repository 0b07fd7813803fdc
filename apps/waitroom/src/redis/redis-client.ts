import Redis, { Cluster, SentinelConnector, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Environment } from '../config/environment';

export type RedisClient = Redis | Cluster;

/** What a connection is made from: plain values, so a worker thread can open one too. */
export type RedisConnectionSettings = Pick<
  Environment,
  | 'REDIS_URL'
  | 'REDIS_CLUSTER_NODES'
  | 'REDIS_SENTINELS'
  | 'REDIS_SENTINEL_MASTER'
  | 'REDIS_COMMAND_TIMEOUT_MS'
  | 'REDIS_AUTO_PIPELINING'
>;

/**
 * Exactly the connection settings of `env`, for a worker thread that must reach the same Redis
 * (a thread given REDIS_URL alone would miss the Cluster or the Sentinels).
 */
export function redisConnectionSettings(env: RedisConnectionSettings): RedisConnectionSettings {
  return {
    REDIS_URL: env.REDIS_URL,
    REDIS_CLUSTER_NODES: env.REDIS_CLUSTER_NODES,
    REDIS_SENTINELS: env.REDIS_SENTINELS,
    REDIS_SENTINEL_MASTER: env.REDIS_SENTINEL_MASTER,
    REDIS_COMMAND_TIMEOUT_MS: env.REDIS_COMMAND_TIMEOUT_MS,
    REDIS_AUTO_PIPELINING: env.REDIS_AUTO_PIPELINING,
  };
}

/** How a client is built: the ioredis options, without opening anything (see redis-client.spec.ts). */
export type RedisClientPlan =
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; options: ClusterOptions }
  | { kind: 'standalone' | 'sentinel'; options: RedisOptions };

/**
 * ioredis's Sentinel connector, with each connection attempt starting without the previous
 * connection's failover detector. ioredis drops that detector only on a deliberate disconnect:
 * after a master dies it stays subscribed to the Sentinels, and its +switch-master, arriving
 * while an attempt asks them for the new master, cancels the attempt; a cancelled attempt ends
 * the client for good (status `end`, no reconnection), so every call failed until the process
 * restarted (test/faults/sentinel-reconnect.test.ts). The attempt asks the Sentinels anyway, and
 * the connection it makes subscribes a detector of its own.
 */
export class SentinelConnectorWithFreshDetector extends SentinelConnector {
  /** ioredis constructs it with the client's options, as it would its own Sentinel connector. */
  constructor(options: unknown) {
    super(options as ConstructorParameters<typeof SentinelConnector>[0]);
  }

  override connect(
    ...args: Parameters<SentinelConnector['connect']>
  ): ReturnType<SentinelConnector['connect']> {
    const connector = this as unknown as { failoverDetector: { cleanup(): void } | null };
    connector.failoverDetector?.cleanup();
    connector.failoverDetector = null;
    return super.connect(...args);
  }
}

/** Keep trying forever, backing off to 2 s: the service degrades, it does not die. */
const reconnectDelay = (attempt: number): number => Math.min(attempt * 100, 2000);

function hostPorts(list: string): { host: string; port: number }[] {
  return list.split(',').map((node) => {
    const [host, port] = node.split(':');
    return { host, port: Number(port) };
  });
}

/**
 * The service's failure policy in ioredis options: no offline queue and a command timeout, so a
 * call fails at once when Redis is away, and reconnection attempts that never give up.
 */
export function planRedisClient(env: RedisConnectionSettings): RedisClientPlan {
  const url = new URL(env.REDIS_URL);
  const tls = url.protocol === 'rediss:' ? {} : undefined;
  const common: RedisOptions = {
    commandTimeout: env.REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 5000,
    enableOfflineQueue: false,
    enableAutoPipelining: env.REDIS_AUTO_PIPELINING,
    maxRetriesPerRequest: 0,
    retryStrategy: reconnectDelay,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls,
  };
  if (env.REDIS_CLUSTER_NODES) {
    return {
      kind: 'cluster',
      nodes: hostPorts(env.REDIS_CLUSTER_NODES),
      options: {
        enableOfflineQueue: false,
        enableAutoPipelining: env.REDIS_AUTO_PIPELINING,
        clusterRetryStrategy: reconnectDelay,
        redisOptions: common,
        slotsRefreshTimeout: 2000,
      },
    };
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (env.REDIS_SENTINELS) {
    return {
      kind: 'sentinel',
      options: {
        ...common,
        db,
        sentinels: hostPorts(env.REDIS_SENTINELS),
        name: env.REDIS_SENTINEL_MASTER,
        // Each (re)connection asks a Sentinel for the master, and the ready check's INFO confirms
        // the node's role: a master demoted by a failover is left for the one the Sentinels name.
        role: 'master',
        enableReadyCheck: true,
        // All Sentinels unreachable: ask them again, for ever, as for the master itself.
        sentinelRetryStrategy: reconnectDelay,
        sentinelReconnectStrategy: reconnectDelay,
        // A Sentinel that accepts the connection but never answers must not stall the reconnection.
        sentinelCommandTimeout: env.REDIS_COMMAND_TIMEOUT_MS,
        // A master that dies closes its connections, and ioredis reconnects through the Sentinels.
        // One that hangs (frozen, cut off) does not: the command timeout fails each call but keeps
        // the connection, and with auto-pipelining every later call queues behind the stuck
        // pipeline. Subscribing to the Sentinels' +switch-master drops it once they have promoted
        // another node.
        failoverDetector: true,
        // Leaving a connection ends it gracefully and destroys it only after this; a hung master
        // never completes the close, and the calls wait for the new connection until then.
        disconnectTimeout: 500,
        // Sentinel disconnects a demoted master's clients, but a connection that stays would only
        // get READONLY for every write: reconnect, and the Sentinels name the master now.
        reconnectOnError: (error) => /READONLY/.test(error.message),
        // Reconnections survive the Sentinels' announcement of the new master (see the class).
        Connector: SentinelConnectorWithFreshDetector,
        // rediss:// means TLS to the master and to the Sentinels alike (a deployment that secures
        // one secures the other); REDIS_URL's credentials are the data nodes', not the Sentinels'.
        enableTLSForSentinelMode: tls !== undefined,
        sentinelTLS: tls,
      },
    };
  }
  return {
    kind: 'standalone',
    options: { ...common, host: url.hostname, port: Number(url.port || 6379), db },
  };
}

/** A connection with the service's failure policy (planRedisClient). */
export function createRedisClient(env: RedisConnectionSettings): RedisClient {
  const plan = planRedisClient(env);
  return plan.kind === 'cluster' ? new Cluster(plan.nodes, plan.options) : new Redis(plan.options);
}
