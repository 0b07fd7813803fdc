import type { EventKeys } from '../redis/redis-keys';
import { defineCommand, defineScript, replyNumber, UnexpectedScriptReply } from '../redis/script-definition';

/** touch-active-1.lua: marks an event as having work. */
export const touchScript = defineScript({
  file: 'touch-active',
  build: (input: { activeEventsKey: string; eventId: string }) => ({
    keys: [input.activeEventsKey],
    args: [input.eventId],
  }),
  parse: () => undefined,
});

/** retire-active-1.lua: drops an idle event from the active set unless it was touched within the grace. */
export const retireScript = defineScript({
  file: 'retire-active',
  build: (input: { activeEventsKey: string; eventId: string; graceMs: number }) => ({
    keys: [input.activeEventsKey],
    args: [input.eventId, input.graceMs],
  }),
  parse: (reply) => replyNumber('retire-active', reply) === 1,
});

export interface EventWork {
  configured: boolean;
  queueLength: number;
  activeCount: number;
  outboxLength: number;
  /** The event's number of shards (its config's; 1 for a shard's copy of an unsharded event). */
  shards: number;
}

/** event-work-4.lua: how much work an event has, for the sweep. */
export const eventWorkScript = defineScript({
  file: 'event-work',
  build: (keys: EventKeys) => ({
    keys: [keys.config, keys.queue, keys.active, keys.outbox],
    args: [],
  }),
  parse: (reply): EventWork => {
    if (!Array.isArray(reply) || reply.length !== 5) throw new UnexpectedScriptReply('event-work', reply);
    const [configured, queueLength, activeCount, outboxLength, shards] = reply.map((value) =>
      replyNumber('event-work', value),
    );
    return { configured: configured === 1, queueLength, activeCount, outboxLength, shards };
  },
});

/** ZRANGE of the active set: the ids of the events that have (or recently had) work. */
export const activeEventIdsCommand = defineCommand({
  command: 'ZRANGE',
  build: ({ activeEventsKey }: { activeEventsKey: string }) => ({ keys: [activeEventsKey], args: [0, -1] }),
  parse: (reply) => stringList('active-events', reply),
});

/** SADD or SREM of the registry: the set of configured event ids. */
function registryMembership(command: 'SADD' | 'SREM') {
  return defineCommand({
    command,
    build: ({ registryKey, eventId }: { registryKey: string; eventId: string }) => ({
      keys: [registryKey],
      args: [eventId],
    }),
    parse: () => undefined,
  });
}

/** An event id is configured (written before its config). */
export const registerEventCommand = registryMembership('SADD');

/** A removed event is no longer listed, swept or scraped. */
export const unregisterEventCommand = registryMembership('SREM');

/** SMEMBERS of the registry: every configured event id, sorted. */
export const registeredEventIdsCommand = defineCommand({
  command: 'SMEMBERS',
  build: ({ registryKey }: { registryKey: string }) => ({ keys: [registryKey], args: [] }),
  parse: (reply) => stringList('registry', reply).sort(),
});

function stringList(name: string, reply: unknown): string[] {
  if (!Array.isArray(reply) || !reply.every((item) => typeof item === 'string'))
    throw new UnexpectedScriptReply(name, reply);
  return reply;
}

/** ZADD to the scheduled-closes index: the event closes at `closesAtMs` (registry/scheduled-closes.ts). */
export const scheduleCloseCommand = defineCommand({
  command: 'ZADD',
  build: (input: { key: string; eventId: string; closesAtMs: number }) => ({
    keys: [input.key],
    args: [input.closesAtMs, input.eventId],
  }),
  parse: () => undefined,
});

/** due-closes-1.lua: the events whose scheduled close has come, by Redis's clock. */
export const dueClosesScript = defineScript({
  file: 'due-closes',
  build: (input: { key: string; limit: number }) => ({ keys: [input.key], args: [input.limit] }),
  parse: (reply): { eventId: string; closesAtMs: number }[] => {
    if (!Array.isArray(reply)) throw new UnexpectedScriptReply('due-closes', reply);
    const due: { eventId: string; closesAtMs: number }[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2)
      due.push({ eventId: String(reply[i]), closesAtMs: replyNumber('due-closes', reply[i + 1]) });
    return due;
  },
});

/** unschedule-close-1.lua: drops the handled entry (only if its score is still the handled one). */
export const unscheduleCloseScript = defineScript({
  file: 'unschedule-close',
  build: (input: { key: string; eventId: string; closesAtMs: number }) => ({
    keys: [input.key],
    args: [input.eventId, input.closesAtMs],
  }),
  parse: (reply) => replyNumber('unschedule-close', reply) === 1,
});

export type CloseWhenDueReply =
  { code: 'NONE' | 'CLOSED' | 'WAS_CLOSED' } | { code: 'LATER'; closesAtMs: number };

/** close-when-due-1.lua: closes the event if its closes_at has come (and drops closes_at: once). */
export const closeWhenDueScript = defineScript({
  file: 'close-when-due',
  replicated: true,
  build: (keys: EventKeys) => ({ keys: [keys.config], args: [] }),
  parse: (reply): CloseWhenDueReply => {
    if (!Array.isArray(reply)) throw new UnexpectedScriptReply('close-when-due', reply);
    const [code, detail] = reply as unknown[];
    if (code === 'NONE' || code === 'CLOSED' || code === 'WAS_CLOSED') return { code };
    if (code === 'LATER') return { code, closesAtMs: replyNumber('close-when-due', detail) };
    throw new UnexpectedScriptReply('close-when-due', reply);
  },
});
