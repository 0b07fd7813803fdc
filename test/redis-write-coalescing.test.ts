import Redis from 'ioredis';
import { RedisService } from '../apps/waitroom/src/redis/redis.service';
import { defineCommand, replyNumber } from '../apps/waitroom/src/redis/script-definition';
import { QueueService } from '../apps/waitroom/src/queue/queue.service';
import { startApp, type RunningApp } from './support/app-harness';
import { TEST_REDIS_URL, testEnvironment } from './support/test-env';

/**
 * Decision 18: the commands a service issues in one phase of the event loop reach Redis in one
 * write. Redis counts the reads it makes from its clients (INFO stats, total_reads_processed),
 * so what arrived in one write is one read; nothing else uses this Redis while a test file runs.
 */
/** A plain INCR through the door's typed wrappers, as any repository's call goes. */
const increment = defineCommand({
  command: 'INCR',
  build: ({ key }: { key: string }) => ({ keys: [key], args: [] }),
  parse: (reply) => replyNumber('incr', reply),
});

describe('coalesced Redis writes', () => {
  const observer = new Redis(TEST_REDIS_URL);
  afterAll(async () => {
    await observer.quit();
  });

  async function readsByRedis(): Promise<number> {
    const stats = await observer.info('stats');
    const match = /total_reads_processed:(\d+)/.exec(stats);
    if (!match) throw new Error('INFO stats has no total_reads_processed');
    return Number(match[1]);
  }

  /**
   * Counts the writes a door's socket hands to the kernel (its libuv handle's write calls: one
   * per system call), from now until `stop()`.
   */
  function countSocketWrites(door: RedisService): { stop: () => number } {
    type Handle = Record<string, (...args: unknown[]) => unknown>;
    const handle = (door as unknown as { client: { stream: { _handle: Handle } } }).client.stream._handle;
    const originals: Handle = {};
    let writes = 0;
    for (const name of [
      'writev',
      'writeBuffer',
      'writeUtf8String',
      'writeLatin1String',
      'writeAsciiString',
    ]) {
      const original = handle[name];
      if (typeof original !== 'function') continue;
      originals[name] = original;
      handle[name] = function (this: unknown, ...args: unknown[]) {
        writes++;
        return original.apply(this, args);
      };
    }
    return {
      stop: () => {
        Object.assign(handle, originals);
        return writes;
      },
    };
  }

  /**
   * Issues 40 INCRs in one synchronous turn through a RedisService made with `settings`; the
   * replies, how many writes its socket made, and how many reads Redis made meanwhile.
   */
  async function burstOfIncrements(settings: Record<string, string> = {}) {
    const redis = new RedisService(testEnvironment(settings));
    await redis.onModuleInit();
    try {
      const key = `${redis.keys.prefix}burst`;
      const before = await readsByRedis();
      const socket = countSocketWrites(redis);
      const replies = await Promise.all(Array.from({ length: 40 }, () => redis.run(increment, { key })));
      const writes = socket.stop();
      // The observer's own INFO is one read of its own.
      const reads = (await readsByRedis()) - before - 1;
      await observer.del(key);
      return { replies, reads, writes };
    } finally {
      await redis.onApplicationShutdown();
    }
  }
  const oneToForty = Array.from({ length: 40 }, (_, i) => i + 1);

  it('sends the commands of one phase in one write, in order, each with its own reply', async () => {
    const { replies, reads, writes } = await burstOfIncrements();
    expect(replies).toEqual(oneToForty);
    expect(writes).toBe(1);
    expect(reads).toBeLessThanOrEqual(2);
  });

  it('writes each command on its own when REDIS_WRITE_COALESCING is false (what the count above rules out)', async () => {
    const { replies, writes } = await burstOfIncrements({ REDIS_WRITE_COALESCING: 'false' });
    expect(replies).toEqual(oneToForty);
    // Counted on the client's socket: how many reads Redis then makes depends on how soon it gets
    // the CPU (several writes that arrived meanwhile are one read), which made a count of reads
    // here fail on a busy box.
    expect(writes).toBe(40);
  });

  describe('in the service', () => {
    let svc: RunningApp;
    beforeAll(async () => {
      svc = await startApp();
    });
    afterAll(async () => {
      await svc?.close(); // deletes its keys
    });

    it('the joins of one phase leave in one write, and each gets its own session', async () => {
      const eventId = await svc.http.createEvent('coalesced', { capacity: 1, state: 'paused' });
      const waitroom = svc.app.get(QueueService);
      const before = await readsByRedis();
      const joins = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          waitroom.join({ userId: `u${i}`, eventId, priority: 0, trusted: false, clientAddress: '10.0.0.1' }),
        ),
      );
      const reads = (await readsByRedis()) - before - 1;
      expect(joins.every(({ created }) => created)).toBe(true);
      expect(new Set(joins.map(({ session }) => session.sessionId)).size).toBe(30);
      expect(joins.map(({ session }) => session.position).sort((a, b) => Number(a) - Number(b))).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      // The service's own background work (relay, admission, snapshots) may add a read or two.
      expect(reads).toBeLessThanOrEqual(6);
    });
  });
});
