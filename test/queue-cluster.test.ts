import { queueSuite } from './queue/queue-suite';
import { RedisClusterProcesses } from './support/redis-processes';

// The same suite on a 3-master Redis Cluster this file starts on loopback (ports 7101-7103).
const cluster = new RedisClusterProcesses(Number(process.env.TEST_REDIS_CLUSTER_BASE_PORT ?? 7101));

beforeAll(async () => {
  await cluster.start();
}, 60000);
afterAll(() => cluster.cleanup());

queueSuite('cluster', () => ({ REDIS_CLUSTER_NODES: cluster.nodesSetting }));
