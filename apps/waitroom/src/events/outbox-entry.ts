/**
 * An event's outbox as Redis holds it: a stream whose entries are flat field lists written by the
 * Lua scripts (redis/scripts/includes/outbox.lua). Plain functions, so the relay's reader thread
 * (outbox-reader.thread.ts) reads entries exactly as the repository does.
 */

/** One domain event waiting in an event's outbox stream. */
export interface OutboxEntry {
  /** Stream entry id, used to delete it once Kafka has it. */
  id: string;
  fields: Record<string, string>;
}

/** XRANGE's start for the entries after `afterId` (exclusive), or from the oldest when null. */
export function rangeStartAfter(afterId: string | null): string {
  return afterId === null ? '-' : `(${afterId}`;
}

/** A stream entry's flat [field, value, field, value, ...] list as a record. */
export function entryFields(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return fields;
}

/** An XRANGE reply as entries. */
export function toOutboxEntries(rows: [id: string, flat: string[]][]): OutboxEntry[] {
  return rows.map(([id, flat]) => ({ id, fields: entryFields(flat) }));
}
