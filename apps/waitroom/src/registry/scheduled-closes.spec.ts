import { RedisKeys } from '../redis/redis-keys';
import type { RedisService } from '../redis/redis.service';
import type { RedisCall } from '../redis/script-definition';
import { ScheduledCloses } from './scheduled-closes';

type Call = { name: string; input: unknown };

/** A RedisService whose scripts answer from `replies` (by script file or command name), recording calls. */
function fakeRedis(replies: Record<string, unknown[]>) {
  const calls: Call[] = [];
  const redis = {
    keys: new RedisKeys('p:'),
    run: jest.fn((definition: RedisCall<unknown, unknown>, input: unknown) => {
      const name = definition.kind === 'script' ? definition.file : definition.command;
      calls.push({ name, input });
      const queue = replies[name] ?? [];
      const reply = queue.length > 1 ? queue.shift() : queue[0];
      return Promise.resolve(definition.parse(reply, input));
    }),
  };
  return { redis: redis as unknown as RedisService, calls };
}

describe('ScheduledCloses', () => {
  it('adds a closes_at to the index, and nothing for none', async () => {
    const { redis, calls } = fakeRedis({ ZADD: [1] });
    const sut = new ScheduledCloses(redis);
    await sut.schedule('e1', 1_800_000_000_000);
    await sut.schedule('e2', null);
    expect(calls).toEqual([
      { name: 'ZADD', input: { key: 'p:scheduled-closes', eventId: 'e1', closesAtMs: 1_800_000_000_000 } },
    ]);
  });

  it('closes each due event from its config, then drops exactly the handled index entry', async () => {
    const { redis, calls } = fakeRedis({
      'due-closes': [['a', '100', 'b', '200', 'c', '300', 'd', '400']],
      'close-when-due': [['CLOSED'], ['WAS_CLOSED'], ['NONE'], ['LATER', '9000']],
      'unschedule-close': [1],
      ZADD: [0],
    });
    const sut = new ScheduledCloses(redis);
    await expect(sut.closeDue()).resolves.toEqual(['a']);
    expect(calls.map((call) => call.name)).toEqual([
      'due-closes',
      'close-when-due',
      'unschedule-close',
      'close-when-due',
      'unschedule-close',
      'close-when-due',
      'unschedule-close',
      'close-when-due',
      'ZADD',
    ]);
    // The conditional removal names the score it handled, so a newer schedule survives it.
    expect(calls[2].input).toEqual({ key: 'p:scheduled-closes', eventId: 'a', closesAtMs: 100 });
    // An index entry behind its config's later closes_at follows the config.
    expect(calls[8].input).toEqual({ key: 'p:scheduled-closes', eventId: 'd', closesAtMs: 9000 });
  });

  it('does nothing when nothing is due', async () => {
    const { redis, calls } = fakeRedis({ 'due-closes': [[]] });
    await expect(new ScheduledCloses(redis).closeDue()).resolves.toEqual([]);
    expect(calls).toHaveLength(1);
  });
});
