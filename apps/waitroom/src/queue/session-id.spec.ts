import {
  formatSessionId,
  MAX_SHARDS,
  newMemberId,
  newMemberIdInShard,
  parseSessionId,
  shardOfMember,
  shardOfUser,
} from './session-id';

describe('session ids', () => {
  it('round-trips an event id with dots, colons and dashes', () => {
    const member = newMemberId();
    const id = formatSessionId({ eventId: 'tour:2025.paris-1', member });
    expect(parseSessionId(id)).toEqual({ eventId: 'tour:2025.paris-1', member });
  });

  it('carries 128 random bits and never repeats in practice', () => {
    const members = new Set(Array.from({ length: 10000 }, () => newMemberId()));
    expect(members.size).toBe(10000);
    for (const member of members) expect(Buffer.from(member, 'base64url')).toHaveLength(16);
  });

  it.each([
    '',
    'nothing',
    '~AAAAAAAAAAAAAAAAAAAAAA',
    'e~short',
    'e~AAAAAAAAAAAAAAAAAAAAA!',
    '-bad~AAAAAAAAAAAAAAAAAAAAAA',
  ])('treats %p as unknown', (raw) => expect(parseSessionId(raw)).toBeNull());
});

describe('sharded session ids', () => {
  it('route themselves to the shard they were drawn for', () => {
    for (const shards of [2, 3, 17, MAX_SHARDS])
      for (let shard = 0; shard < shards; shard++) {
        const member = newMemberIdInShard(shard, shards);
        expect(shardOfMember(member)).toBe(shard);
        const id = formatSessionId({ eventId: 'e', member });
        expect(parseSessionId(id)).toEqual({ eventId: 'e', member });
      }
  });

  it('keeps the ids of an unsharded event as they were (shard 0)', () => {
    const member = newMemberIdInShard(0, 1);
    expect(member).toHaveLength(22);
    expect(shardOfMember(member)).toBe(0);
  });

  it('spreads users evenly and always puts one user in the same shard', () => {
    const shards = 3;
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[shardOfUser(`user-${i}`, shards)]++;
    for (const count of counts) expect(Math.abs(count - 10000)).toBeLessThan(500);
    expect(shardOfUser('ana', 5)).toBe(shardOfUser('ana', 5));
    expect(shardOfUser('ana', 1)).toBe(0);
  });
});
