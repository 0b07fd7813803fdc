import Redis, { Cluster, type RedisOptions } from 'ioredis';
import type { Environment } from '../config/environment';

export type RedisClient = Redis | Cluster;

/** What a connection is made from: plain values, so a worker thread can open one too. */
export type RedisConnectionSettings = Pick<
  Environment,
  'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_COMMAND_TIMEOUT_MS' | 'REDIS_AUTO_PIPELINING'
>;

/**
 * A connection with the service's failure policy: no offline queue and a command timeout, so a
 * call fails at once when Redis is away, and reconnection attempts that never give up.
 */
export function createRedisClient(env: RedisConnectionSettings): RedisClient {
  const url = new URL(env.REDIS_URL);
  const common: RedisOptions = {
    commandTimeout: env.REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 5000,
    enableOfflineQueue: false,
    enableAutoPipelining: env.REDIS_AUTO_PIPELINING,
    maxRetriesPerRequest: 0,
    // Keep trying to reconnect forever, backing off to 2 s: the service degrades, it does not die.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
  };
  if (env.REDIS_CLUSTER_NODES) {
    const nodes = env.REDIS_CLUSTER_NODES.split(',').map((node) => {
      const [host, port] = node.split(':');
      return { host, port: Number(port) };
    });
    return new Cluster(nodes, {
      enableOfflineQueue: false,
      enableAutoPipelining: env.REDIS_AUTO_PIPELINING,
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      redisOptions: common,
      slotsRefreshTimeout: 2000,
    });
  }
  return new Redis({
    ...common,
    host: url.hostname,
    port: Number(url.port || 6379),
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
  });
}
