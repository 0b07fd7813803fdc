import type { EventKeys } from '../../redis/redis-keys';
import {
  defineCommand,
  defineScript,
  replyNumber,
  UnexpectedScriptReply,
} from '../../redis/script-definition';
import { rangeStartAfter, toOutboxEntries, type OutboxEntry } from './outbox-entry';

/** trim-outbox-2.lua: deletes published entries (below `minId`); returns the entries left. */
export const trimOutboxScript = defineScript({
  file: 'trim-outbox',
  build: ({ keys, minId }: { keys: EventKeys; minId: string }) => ({
    keys: [keys.outbox, keys.config],
    args: [minId],
  }),
  parse: (reply) => replyNumber('trim-outbox', reply),
});

/** quarantine-outbox-entry-2.lua: moves one unreadable entry aside; true if it was moved. */
export const quarantineOutboxEntryScript = defineScript({
  file: 'quarantine-outbox-entry',
  build: (input: { keys: EventKeys; entryId: string; reason: string; keep: number }) => ({
    keys: [input.keys.outbox, input.keys.outboxQuarantine],
    args: [input.entryId, input.reason, input.keep],
  }),
  parse: (reply) => replyNumber('quarantine-outbox-entry', reply) === 1,
});

/** What the relay's visit found: the lease is this instance's, another's, or the outbox is empty. */
export type RelayLease = 'held' | 'taken' | 'empty';

/** relay-lease-2.lua: the event's outbox lease, taken only when the outbox has entries. */
export const relayLeaseScript = defineScript({
  file: 'relay-lease',
  build: (input: { keys: EventKeys; ownerId: string; ttlMs: number }) => ({
    keys: [input.keys.outboxLease, input.keys.outbox],
    args: [input.ownerId, input.ttlMs],
  }),
  parse: (reply): RelayLease => {
    const answer = replyNumber('relay-lease', reply);
    return answer === 1 ? 'held' : answer === 0 ? 'taken' : 'empty';
  },
});

/** XRANGE of an outbox: up to `count` entries after `afterId` (from the oldest when null), oldest first. */
export const outboxEntriesCommand = defineCommand({
  command: 'XRANGE',
  build: (input: { outboxKey: string; afterId: string | null; count: number }) => ({
    keys: [input.outboxKey],
    args: [rangeStartAfter(input.afterId), '+', 'COUNT', input.count],
  }),
  parse: (reply): OutboxEntry[] => {
    if (!Array.isArray(reply)) throw new UnexpectedScriptReply('outbox-entries', reply);
    return toOutboxEntries(reply as [string, string[]][]);
  },
});

/** XLEN of a stream: the entries an outbox (or its quarantine) holds. */
export const streamLengthCommand = defineCommand({
  command: 'XLEN',
  build: ({ streamKey }: { streamKey: string }) => ({ keys: [streamKey], args: [] }),
  parse: (reply) => replyNumber('stream-length', reply),
});
