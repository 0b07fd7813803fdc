import type { EventKeys } from '../redis/redis-keys';
import {
  defineCommand,
  defineScript,
  pairsToRecord,
  replyArray,
  replyNumber,
  UnexpectedScriptReply,
} from '../redis/script-definition';

/**
 * copy-config-1.lua: shard 0's config hash (field/value pairs) copied to another shard of the
 * event, unless that shard has a newer copy; no pairs remove the shard's copy.
 */
export const copyConfigScript = defineScript({
  file: 'copy-config',
  replicated: true,
  build: ({ keys, pairs }: { keys: EventKeys; pairs: string[] }) => ({ keys: [keys.config], args: pairs }),
  parse: (reply): boolean => replyNumber('copy-config', reply) === 1,
});

export type ArriveReply =
  | {
      code: 'OK';
      /** The event's number of shards (its shard 0's config: the truth). */
      shards: number;
      /** When shard 0's config was last changed (a shard's copy must not be older). */
      configUpdatedAt: string;
      /** The first join's number in the event's arrival sequence (the others follow it). */
      firstSequence: number;
      /** The joins go to a shuffled pre-queue: their places are drawn with `salt` (the draw's seed). */
      preOpen: boolean;
      salt: string;
    }
  | { code: 'EVENT_NOT_FOUND' };

/**
 * arrive-2.lua: the first half of a batch of a sharded event's joins, in its shard 0: their
 * numbers in the event's one arrival sequence, and whether they join a shuffled pre-queue.
 */
export const arriveScript = defineScript({
  file: 'arrive',
  replicated: true,
  build: ({ keys, count }: { keys: EventKeys; count: number }) => ({
    keys: [keys.config, keys.sequence],
    args: [count],
  }),
  parse: (reply): ArriveReply => {
    const [code, shards, updatedAt, first, preOpen, salt] = replyArray('arrive', reply);
    if (code === 'EVENT_NOT_FOUND') return { code };
    if (code !== 'OK') throw new UnexpectedScriptReply('arrive', reply);
    return {
      code,
      shards: Number(shards || 1),
      configUpdatedAt: typeof updatedAt === 'string' ? updatedAt : '',
      firstSequence: replyNumber('arrive', first),
      preOpen: preOpen === '1',
      salt: typeof salt === 'string' ? salt : '',
    };
  },
});

/** join-limit-1.lua: 0 when a join of the address may go on, else the ms until its window ends. */
export const joinLimitScript = defineScript({
  file: 'join-limit',
  replicated: true,
  build: ({
    keys,
    clientAddress,
    perMinute,
  }: {
    keys: EventKeys;
    clientAddress: string;
    perMinute: number;
  }) => ({
    keys: [keys.joinRateLimit(clientAddress)],
    args: [perMinute],
  }),
  parse: (reply): number => replyNumber('join-limit', reply),
});

/** use-proof-1.lua: true the first time a proof is used for the event, false after. */
export const useProofScript = defineScript({
  file: 'use-proof',
  replicated: true,
  build: ({ keys, proofId, ttlMs }: { keys: EventKeys; proofId: string; ttlMs: number }) => ({
    keys: [keys.usedProof(proofId)],
    args: [Math.max(1, Math.ceil(ttlMs))],
  }),
  parse: (reply): boolean => replyNumber('use-proof', reply) === 1,
});

/** An event's config hash as stored (its shard 0's: the truth), or null when it has none. */
export const configHashCommand = defineCommand({
  command: 'HGETALL',
  build: ({ keys }: { keys: EventKeys }) => ({ keys: [keys.config], args: [] }),
  parse: (reply): Record<string, string> | null => {
    const hash = pairsToRecord(reply);
    return Object.keys(hash).length > 0 ? hash : null;
  },
});

/** One shard's queue sampled at fixed ranks (shard-ranks-1.lua). */
export interface ShardRankSample {
  length: number;
  /** When it was read, by its server's clock. */
  atMs: number;
  /** The event's join sequence a little before then (shard 0's sample; 0 in the others: queue/shard-ranks.ts). */
  sequence: number;
  ranks: number[];
  scores: number[];
}

/** shard-ranks-1.lua: a shard's queue length and the scores at a fixed set of ranks. */
export const shardRanksScript = defineScript({
  file: 'shard-ranks',
  build: ({ keys, exactRanks, step }: { keys: EventKeys; exactRanks: number; step: number }) => ({
    keys: [keys.queue],
    args: [exactRanks, step],
  }),
  parse: (reply): ShardRankSample => {
    if (!Array.isArray(reply) || reply.length % 2 !== 0 || reply.length < 2)
      throw new UnexpectedScriptReply('shard-ranks', reply);
    const [length, atMs] = reply.slice(0, 2).map((value) => replyNumber('shard-ranks', value));
    const sample: ShardRankSample = { length, atMs, sequence: 0, ranks: [], scores: [] };
    for (let i = 2; i < reply.length; i += 2) {
      sample.ranks.push(replyNumber('shard-ranks', reply[i]));
      sample.scores.push(replyNumber('shard-ranks', reply[i + 1]));
    }
    return sample;
  },
});

/** An event's number of shards, from a config hash (the event's or a shard's copy): 1 when it has none. */
export const shardCountCommand = defineCommand({
  command: 'HGET',
  build: ({ keys }: { keys: EventKeys }) => ({ keys: [keys.config], args: ['shards'] }),
  parse: (reply): number => (typeof reply === 'string' && reply !== '' ? Number(reply) : 1),
});

/** The event's join sequence (shard 0's counter): how many joins have taken a number. */
export const sequenceCommand = defineCommand({
  command: 'GET',
  build: ({ keys }: { keys: EventKeys }) => ({ keys: [keys.sequence], args: [] }),
  parse: (reply): number => (typeof reply === 'string' ? Number(reply) : 0),
});

/** DEL of keys of one slot (an admitter's epoch counter, once its event is removed). */
export const deleteKeysCommand = defineCommand({
  command: 'DEL',
  build: ({ keys }: { keys: string[] }) => ({ keys, args: [] }),
  parse: (reply): number => replyNumber('del', reply),
});
