import { RedisKeys } from './redis-keys';

// The CRC16 hash slot Redis Cluster uses (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/).
function hashSlot(key: string): number {
  const open = key.indexOf('{');
  let hashed = key;
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) hashed = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe('RedisKeys', () => {
  const sut = new RedisKeys('wr:');

  it('puts every key of one event in the same cluster slot', () => {
    const keys = sut.forEvent('concert-2024');
    const all = [
      keys.config,
      keys.queue,
      keys.sequence,
      keys.active,
      keys.heartbeats,
      keys.stats,
      keys.pace,
      keys.flow,
      keys.outbox,
      keys.outboxLease,
      keys.outboxQuarantine,
      keys.session('abc'),
      keys.user('user-1'),
      keys.joinRateLimit('127.0.0.1'),
      keys.history,
      keys.usedProof('nonce-1'),
    ];
    expect(new Set(all.map(hashSlot)).size).toBe(1);
    expect(new Set(all).size).toBe(all.length);
  });

  it('keeps events apart and prefixes every key', () => {
    const a = sut.forEvent('a');
    const b = sut.forEvent('b');
    expect(a.queue).toBe('wr:{a}:queue');
    expect(b.session('x')).toBe('wr:{b}:s:x');
    expect(a.user('u{1}')).toBe('wr:{a}:u:u{1}');
    expect(hashSlot(a.user('u{1}'))).toBe(hashSlot(a.queue));
    expect(sut.eventRegistry).toBe('wr:events');
    expect(sut.activeEvents).toBe('wr:active-events');
    // The keys the bot check and the history sampler built themselves before, unchanged.
    expect(a.usedProof('n1')).toBe('wr:{a}:proof:n1');
    expect(sut.historySampleLease).toBe('wr:history:sample-lease');
  });

  it('computes the same slot as Redis for a known key', () => {
    // Redis: CLUSTER KEYSLOT foo -> 12182
    expect(hashSlot('foo')).toBe(12182);
  });
});
