import type { JoinProof } from '../bot-check/join-proof';
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
      /** The join's queue score (a decimal string: join-12.lua takes it as it is). */
      score: string;
      /** The proof's verdict for the shard's join: 'invalid' when a valid proof was used before. */
      proof: 'none' | 'valid' | 'invalid' | 'exempt';
      /** The event's number of shards (its shard 0's config: the truth). */
      shards: number;
      /** The join's number in the event's arrival sequence. */
      sequence: number;
      /** When shard 0's config was last changed (a shard's copy must not be older). */
      configUpdatedAt: string;
    }
  | { code: 'RATE_LIMITED'; retryAfterMs: number }
  | { code: 'EVENT_NOT_FOUND' };

/**
 * arrive-4.lua: the first half of a sharded event's join, in its shard 0: the per-address join
 * limit, the proof's single use, and the queue score from the event's one arrival sequence.
 */
export const arriveScript = defineScript({
  file: 'arrive',
  replicated: true,
  build: (input: {
    keys: EventKeys;
    userId: string;
    priority: number;
    clientAddress: string;
    joinsPerMinute: number;
    proof: JoinProof;
  }) => ({
    keys: [
      input.keys.config,
      input.keys.sequence,
      input.keys.joinRateLimit(input.clientAddress),
      input.keys.usedProof(input.proof.kind === 'valid' ? input.proof.id : ''),
    ],
    args: [
      input.userId,
      input.priority,
      input.joinsPerMinute,
      input.proof.kind,
      input.proof.kind === 'valid' ? Math.max(1, Math.ceil(input.proof.ttlMs)) : 0,
    ],
  }),
  parse: (reply): ArriveReply => {
    const [code, first, proof, shards, sequence, updatedAt] = replyArray('arrive', reply);
    if (code === 'OK' && (proof === 'none' || proof === 'valid' || proof === 'invalid' || proof === 'exempt'))
      return {
        code,
        score: String(first),
        proof,
        shards: Number(shards || 1),
        sequence: replyNumber('arrive', sequence),
        configUpdatedAt: typeof updatedAt === 'string' ? updatedAt : '',
      };
    if (code === 'RATE_LIMITED') return { code, retryAfterMs: replyNumber('arrive', first) };
    if (code === 'EVENT_NOT_FOUND') return { code };
    throw new UnexpectedScriptReply('arrive', reply);
  },
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
