import { EVENT_TOTALS, type EventCounts, type EventTotal } from '../queue/event-config';
import type { EventKeys } from '../redis/redis-keys';
import {
  defineScript,
  pairsToRecord,
  replyArray,
  replyNumber,
  UnexpectedScriptReply,
} from '../redis/script-definition';

/** One sample of an event's history: its live counts and running totals at one instant. */
export interface HistorySample extends EventCounts {
  /** When it was taken, epoch ms (Redis's clock: the stream entry's id). */
  atMs: number;
}

/** The field each total has in a history entry (short: they repeat in every sample; history-sample-5.lua). */
const HISTORY_FIELD_OF_TOTAL: Readonly<Record<EventTotal, string>> = {
  joined: 'j',
  admitted: 'ad',
  completed: 'c',
  failed: 'f',
  expired: 'e',
  left: 'l',
  abandoned: 'ab',
};

/** history-sample-5.lua: appends one sample; false if the event does not exist. */
export const historySampleScript = defineScript({
  file: 'history-sample',
  build: ({ keys, windowMs, sums }: { keys: EventKeys; windowMs: number; sums?: number[] }) => ({
    keys: [keys.config, keys.queue, keys.active, keys.stats, keys.history],
    args: sums ? [windowMs, 'sum', ...sums] : [windowMs, ''],
  }),
  /** true: sampled; false: no such event; a number: a sharded event's shards (sample it summed). */
  parse: (reply): boolean | number => {
    if (Array.isArray(reply)) {
      const [code, shards] = replyArray('history-sample', reply);
      if (code === 'SHARDED') return replyNumber('history-sample', shards);
      throw new UnexpectedScriptReply('history-sample', reply);
    }
    return replyNumber('history-sample', reply) === 1;
  },
});

/** history-sample-5.lua 'read': one shard's counts and totals in a sample's order (null: no such shard). */
export const historyShardCountsScript = defineScript({
  file: 'history-sample',
  build: ({ keys, windowMs }: { keys: EventKeys; windowMs: number }) => ({
    keys: [keys.config, keys.queue, keys.active, keys.stats, keys.history],
    args: [windowMs, 'read'],
  }),
  parse: (reply): number[] | null => {
    if (!Array.isArray(reply)) throw new UnexpectedScriptReply('history-sample', reply);
    return reply.length === 0 ? null : reply.map((value) => replyNumber('history-sample', value));
  },
});

export type HistoryReadReply =
  { code: 'NOT_FOUND' } | { code: 'OK'; previous: HistorySample | null; samples: HistorySample[] };

/** history-read-2.lua: the samples after `sinceMs` (0: the whole window) and the one before them. */
export const historyReadScript = defineScript({
  file: 'history-read',
  build: ({ keys, sinceMs, windowMs }: { keys: EventKeys; sinceMs: number; windowMs: number }) => ({
    keys: [keys.config, keys.history],
    args: [sinceMs, windowMs],
  }),
  parse: (reply): HistoryReadReply => {
    const [code, previous, samples] = replyArray('history-read', reply);
    if (code === 'NOT_FOUND') return { code };
    if (code !== 'OK' || !Array.isArray(previous) || !Array.isArray(samples))
      throw new UnexpectedScriptReply('history-read', reply);
    return {
      code,
      previous: previous.length === 0 ? null : parseEntry(previous),
      samples: samples.map(parseEntry),
    };
  },
});

/** A stream entry `[id, [field, value, ...]]` as a sample (fields as history-sample-5.lua writes them). */
function parseEntry(entry: unknown): HistorySample {
  if (!Array.isArray(entry) || typeof entry[0] !== 'string')
    throw new UnexpectedScriptReply('history-read', entry);
  const fields = pairsToRecord(entry[1]);
  const field = (name: string) => replyNumber('history-read', fields[name]);
  const sample = {
    atMs: replyNumber('history-read', entry[0].split('-')[0]),
    queueLength: field('q'),
    activeCount: field('a'),
  } as HistorySample;
  for (const total of EVENT_TOTALS) sample[`${total}Total`] = field(HISTORY_FIELD_OF_TOTAL[total]);
  return sample;
}
