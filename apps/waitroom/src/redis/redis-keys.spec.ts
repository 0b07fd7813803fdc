import { eventOfScope, RedisKeys, shardOfScope, shardScopes } from './redis-keys';

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

describe('shard scopes', () => {
  const sut = new RedisKeys('wr:');

  it('keeps shard 0 under the event tag and gives every other shard a slot of its own', () => {
    expect(shardScopes('gig', 3)).toEqual(['gig', 'gig#1', 'gig#2']);
    expect(sut.forShard('gig', 0).queue).toBe('wr:{gig}:queue');
    expect(sut.forShard('gig', 2).queue).toBe('wr:{gig#2}:queue');
    const slots = shardScopes('gig', 16).map((scope) => hashSlot(sut.forEvent(scope).queue));
    expect(new Set(slots).size).toBe(16);
    const shard = sut.forShard('gig', 2);
    expect(hashSlot(shard.session('x'))).toBe(hashSlot(shard.user('u')));
  });

  it('names the event and the shard of any scope', () => {
    expect(eventOfScope('tour:2025.paris-1#12')).toBe('tour:2025.paris-1');
    expect(shardOfScope('tour:2025.paris-1#12')).toBe(12);
    expect(eventOfScope('gig')).toBe('gig');
    expect(shardOfScope('gig')).toBe(0);
    expect(sut.forShard('gig', 5).eventId).toBe('gig');
    expect(sut.forShard('gig', 5).shard).toBe(5);
  });
});
