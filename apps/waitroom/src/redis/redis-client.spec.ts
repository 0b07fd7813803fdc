import type { RedisOptions } from 'ioredis';
import { validateEnvironment } from '../config/environment';
import {
  planRedisClient,
  redisConnectionSettings,
  SentinelConnectorWithFreshDetector,
  type RedisConnectionSettings,
} from './redis-client';

const base: RedisConnectionSettings = {
  REDIS_URL: 'redis://127.0.0.1:6390',
  REDIS_COMMAND_TIMEOUT_MS: 1500,
  REDIS_AUTO_PIPELINING: false,
};
const sentinels = {
  ...base,
  REDIS_SENTINELS: '10.0.0.1:26379,sentinel-2.internal:26380',
  REDIS_SENTINEL_MASTER: 'waitroom',
};

/** The options of a plan that must go through Sentinels. */
function sentinelOptions(settings: RedisConnectionSettings): RedisOptions {
  const plan = planRedisClient(settings);
  if (plan.kind !== 'sentinel') throw new Error(`expected a sentinel plan, got ${plan.kind}`);
  return plan.options;
}

describe('planRedisClient (the ioredis options; nothing is opened)', () => {
  it('connects to REDIS_URL alone with the failure policy', () => {
    const plan = planRedisClient({ ...base, REDIS_URL: 'redis://:s%3Acret@redis.internal:6400/2' });
    expect(plan.kind).toBe('standalone');
    expect(plan.options).toMatchObject({
      host: 'redis.internal',
      port: 6400,
      db: 2,
      password: 's:cret',
      commandTimeout: 1500,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    expect(plan.options).not.toHaveProperty('sentinels');
  });

  it('asks the Sentinels for the named master, with REDIS_URL only for credentials, TLS and the database', () => {
    const options = sentinelOptions({
      ...sentinels,
      REDIS_URL: 'rediss://app:pw@ignored.example:7000/3',
      REDIS_AUTO_PIPELINING: true,
    });
    expect(options.sentinels).toEqual([
      { host: '10.0.0.1', port: 26379 },
      { host: 'sentinel-2.internal', port: 26380 },
    ]);
    expect(options).toMatchObject({
      name: 'waitroom',
      role: 'master',
      username: 'app',
      password: 'pw',
      db: 3,
      tls: {},
      enableTLSForSentinelMode: true,
      sentinelTLS: {},
      enableAutoPipelining: true,
      failoverDetector: true,
      disconnectTimeout: 500,
      enableReadyCheck: true,
      sentinelCommandTimeout: 1500,
      Connector: SentinelConnectorWithFreshDetector,
    });
    // The master's address comes from the Sentinels, never from REDIS_URL.
    expect(options.host).toBeUndefined();
    expect(options.port).toBeUndefined();
    // The Sentinels get no credentials of the data nodes.
    expect(options.sentinelPassword).toBeUndefined();
  });

  it('keeps the failure policy behind Sentinels: no offline queue, a command timeout, retries for ever', () => {
    const options = sentinelOptions(sentinels);
    expect(options).toMatchObject({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 1500,
    });
    for (const retry of [options.retryStrategy, options.sentinelRetryStrategy]) {
      expect(retry?.(1)).toBe(100);
      expect(retry?.(10_000)).toBe(2000);
    }
  });

  it('plain redis:// talks plain TCP to the Sentinels and the master', () => {
    const options = sentinelOptions(sentinels);
    expect(options).toMatchObject({ enableTLSForSentinelMode: false });
    expect(options.tls).toBeUndefined();
    expect(options.sentinelTLS).toBeUndefined();
  });

  it('reconnects through the Sentinels on READONLY (a demoted master), not on other errors', () => {
    const options = sentinelOptions(sentinels);
    const reconnect = options.reconnectOnError!;
    expect(reconnect(new Error("READONLY You can't write against a read only replica."))).toBe(true);
    expect(reconnect(new Error('ERR unknown command'))).toBe(false);
  });

  it('builds a cluster from REDIS_CLUSTER_NODES', () => {
    const plan = planRedisClient({ ...base, REDIS_CLUSTER_NODES: 'a:7000,b:7001' });
    if (plan.kind !== 'cluster') throw new Error(`expected a cluster plan, got ${plan.kind}`);
    expect(plan.nodes).toEqual([
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
    ]);
    expect(plan.options.redisOptions).toMatchObject({ commandTimeout: 1500, enableOfflineQueue: false });
  });
});

describe('redisConnectionSettings (what a worker thread is sent)', () => {
  it('carries the Sentinels and the master name, and nothing else of the environment', () => {
    const env = { ...sentinels, REDIS_KEY_PREFIX: 'wr:', PORT: 8080 };
    expect(redisConnectionSettings(env)).toEqual({ ...sentinels, REDIS_CLUSTER_NODES: undefined });
  });
});

describe('REDIS_SENTINELS and REDIS_SENTINEL_MASTER at start-up (validateEnvironment)', () => {
  const start = (raw: Record<string, string>) => () => validateEnvironment(raw);

  it('accepts both together, and an empty value as unset', () => {
    const env = validateEnvironment({
      REDIS_SENTINELS: 'a:26379,b:26380',
      REDIS_SENTINEL_MASTER: 'waitroom',
    });
    expect(env).toMatchObject({ REDIS_SENTINELS: 'a:26379,b:26380', REDIS_SENTINEL_MASTER: 'waitroom' });
    expect(
      validateEnvironment({ REDIS_SENTINELS: '', REDIS_SENTINEL_MASTER: '' }).REDIS_SENTINELS,
    ).toBeUndefined();
  });

  it('refuses each mistake with one line naming the variable', () => {
    expect(start({ REDIS_SENTINELS: 'a:26379;b', REDIS_SENTINEL_MASTER: 'w' })).toThrow(
      /^Invalid configuration: REDIS_SENTINELS: REDIS_SENTINELS must look like host:port,host:port$/,
    );
    expect(start({ REDIS_SENTINELS: 'a:26379' })).toThrow(/REDIS_SENTINELS needs REDIS_SENTINEL_MASTER/);
    expect(start({ REDIS_SENTINEL_MASTER: 'waitroom' })).toThrow(
      /REDIS_SENTINEL_MASTER is set but REDIS_SENTINELS is not/,
    );
    expect(start({ REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_MASTER: 'my master' })).toThrow(
      /REDIS_SENTINEL_MASTER: .*without spaces/,
    );
    expect(
      start({ REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_MASTER: 'w', REDIS_CLUSTER_NODES: 'c:7000' }),
    ).toThrow(/REDIS_SENTINELS and REDIS_CLUSTER_NODES exclude each other/);
  });
});
