import type Redis from 'ioredis';
import { createRedisClient } from '../../apps/waitroom/src/redis/redis-client';
import { eventually } from '../support/app-harness';
import { RedisSentinelProcesses } from '../support/redis-processes';

const BASE_PORT = Number(process.env.SENTINEL_RECONNECT_PORT ?? 6541);

/**
 * The service's Redis client through Sentinel (redis/redis-client.ts) when its master dies: it
 * asks the Sentinels again and again until they name the new master, and while one of those
 * attempts is asking, their +switch-master announcement arrives. ioredis left the previous
 * connection's failover detector subscribed; its announcement cancelled the attempt under way,
 * and a cancelled attempt ends the client for good (status 'end', no reconnection): every call
 * then failed until the process restarted (found by `make soak`: both instances 503 for minutes
 * after a failover, Redis itself healthy). The Sentinels' answer is slowed here so that the
 * announcement lands during an attempt every time, not by chance.
 */
describe('the Redis client through Sentinel, across a failover', () => {
  const redis = new RedisSentinelProcesses(BASE_PORT);
  let client: Redis;

  beforeAll(async () => {
    await redis.start();
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    redis.cleanup();
  });

  it('keeps reconnecting while the Sentinels announce the new master, and reaches it', async () => {
    client = createRedisClient({
      // Through Sentinel the URL gives credentials and the database only; the address is the Sentinels'.
      REDIS_URL: 'redis://127.0.0.1:6390',
      REDIS_CLUSTER_NODES: '',
      REDIS_SENTINELS: redis.sentinelsSetting,
      REDIS_SENTINEL_MASTER: redis.masterName,
      REDIS_COMMAND_TIMEOUT_MS: 1000,
      REDIS_AUTO_PIPELINING: false,
    }) as Redis;
    client.on('error', () => undefined);
    await eventually(
      () => client.set('before', '1').catch(() => null),
      (reply) => reply === 'OK',
      10_000,
      100,
    );
    // Every attempt asks a Sentinel for 1.5 s: the failover's announcement comes during one.
    const connector = (client as unknown as { connector: { resolve(endpoint: unknown): Promise<unknown> } })
      .connector;
    const resolve = connector.resolve.bind(connector);
    connector.resolve = async (endpoint: unknown) => {
      const resolved = await resolve(endpoint);
      await new Promise((r) => setTimeout(r, 1500));
      return resolved;
    };

    const oldMaster = redis.masterPort();
    await redis.node(oldMaster).kill();
    const newMaster = await redis.newMasterAfter(oldMaster);
    await redis.rejoinAsReplica(redis.node(oldMaster), newMaster);

    const statuses: string[] = [];
    const reached = await eventually(
      async () => {
        statuses.push(client.status);
        return client.set('after', '1').catch((error: Error) => error.message);
      },
      (reply) => reply === 'OK' || statuses.at(-1) === 'end',
      30_000,
      200,
    );
    expect({ reached, status: client.status }).toEqual({ reached: 'OK', status: 'ready' });
  }, 120_000);
});
