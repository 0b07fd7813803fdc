import { Topics } from '@waitroom/contracts';
import Redis from 'ioredis';
import { startApp, type RunningApp } from './support/app-harness';
import { TopicCollector } from './support/kafka';
import { RedisProcess } from './support/redis-processes';

const MASTER_PORT = Number(process.env.TEST_REPLICATED_REDIS_PORT ?? 6461);
const WAIT_TIMEOUT_MS = 300;

/**
 * Issue 26: with REDIS_WAIT_REPLICAS=1 a state change is acknowledged only once a replica holds
 * it, on a real master and replica (`replicaof`): every answered join is on the replica when its
 * answer arrives; with the replica hung, joins answer 503 STORE_UNAVAILABLE within the wait's
 * timeout and the relay tells Kafka nothing of them; once it is back, the retried join finds its
 * place and QUEUE_JOINED goes out.
 */
describe('acknowledged means replicated (REDIS_WAIT_REPLICAS=1)', () => {
  const master = new RedisProcess(MASTER_PORT);
  const replica = new RedisProcess(MASTER_PORT + 1, ['--replicaof', '127.0.0.1', String(MASTER_PORT)]);
  let svc: RunningApp;
  let onReplica: Redis;
  let collector: TopicCollector;

  beforeAll(async () => {
    await master.start();
    await replica.start();
    onReplica = new Redis(replica.port, '127.0.0.1');
    // Replication is up once the replica's link is (its first sync done).
    for (let i = 0; i < 100 && !/master_link_status:up/.test(await onReplica.info('replication')); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    svc = await startApp({
      env: {
        REDIS_URL: master.url,
        REDIS_WAIT_REPLICAS: '1',
        REDIS_WAIT_TIMEOUT_MS: String(WAIT_TIMEOUT_MS),
        REDIS_COMMAND_TIMEOUT_MS: '2000',
      },
    });
    collector = await TopicCollector.start([Topics.QUEUE_JOINED]);
  });
  afterAll(async () => {
    await collector?.stop();
    onReplica?.disconnect();
    await svc?.close();
    replica.cleanup();
    master.cleanup();
  });

  it('answers a join only once the replica holds it', async () => {
    const eventId = await svc.http.createEvent('replicated', { capacity: 1, state: 'paused' });
    const userIndex = (user: string) => `${svc.env.REDIS_KEY_PREFIX}{${eventId}}:u:${user}`;
    const users = Array.from({ length: 60 }, (_, i) => `replicated-${i}`);
    await Promise.all(
      users.map(async (user) => {
        const joined = await svc.http.join(user, eventId);
        expect(joined.status).toBe(201);
        // Read on the replica the moment the answer is here: it is there already.
        expect(await onReplica.exists(userIndex(user))).toBe(1);
      }),
    );
  });

  it('answers 503 STORE_UNAVAILABLE while no replica confirms, publishes nothing of it, and a retry finds the place', async () => {
    const eventId = await svc.http.createEvent('unconfirmed', { capacity: 1, state: 'paused' });
    replica.pause(true);
    try {
      const started = Date.now();
      const refused = await svc.http.join('unconfirmed-user', eventId);
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('STORE_UNAVAILABLE');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Date.now() - started).toBeLessThan(WAIT_TIMEOUT_MS + 1500);
      // The join is on the master, unconfirmed: the relay does not tell Kafka about it.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(collector.matching(Topics.QUEUE_JOINED, (m) => m.body?.event_id === eventId)).toEqual([]);
    } finally {
      replica.pause(false);
    }
    const retried = await svc.http.join('unconfirmed-user', eventId);
    expect(retried.status).toBe(200);
    const [joined] = await collector.waitForEvent(Topics.QUEUE_JOINED, eventId, 1, 10_000);
    expect(joined.body.session_id).toBe(retried.body.session_id);
  });
});
