/**
 * An event's outbox as Redis holds it: a stream whose entries the Lua scripts write
 * (redis/scripts/includes/outbox.lua), packed into one field or as field-value pairs. Plain
 * functions, so the relay's reader thread (outbox-reader.thread.ts) reads entries exactly as the
 * repository does.
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

/** The one field of a packed entry (redis/scripts/includes/outbox.lua). */
const PACKED_FIELD = 'e1';
const SEPARATOR = '\x1f';
/** A packed entry's values before the user id, which comes last and may hold the separator. */
const PACKED_VALUES_BEFORE_USER = 8;
/** The field a kind's own value has in the field-value format. */
const VALUE_FIELD: Partial<Record<string, string>> = { joined: 'pos', left: 'r', ready: 'eat' };

/**
 * A stream entry's flat list as the record of the field-value format (`k`, `m`, `at`, `s`, `u`,
 * `p`, `j`, `b` and the kind's own field), whichever format it was written in: a packed entry
 * (`e1`) is unpacked to the same record. A packed entry that does not unpack gets no kind, so
 * the mapping refuses it and the relay quarantines it.
 */
export function entryFields(flat: string[]): Record<string, string> {
  if (flat.length === 2 && flat[0] === PACKED_FIELD) return unpack(flat[1]);
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return fields;
}

function unpack(packed: string): Record<string, string> {
  const values = packed.split(SEPARATOR);
  if (values.length <= PACKED_VALUES_BEFORE_USER) return { k: `(a packed entry of ${values.length} values)` };
  const [k, m, at, s, p, j, b, value] = values;
  const u =
    values.length === PACKED_VALUES_BEFORE_USER + 1
      ? values[PACKED_VALUES_BEFORE_USER]
      : values.slice(PACKED_VALUES_BEFORE_USER).join(SEPARATOR);
  const fields: Record<string, string> = { k, m, at, s, u, p, j, b };
  const valueField = VALUE_FIELD[k];
  if (valueField) fields[valueField] = value;
  return fields;
}

/** An XRANGE reply as entries. */
export function toOutboxEntries(rows: [id: string, flat: string[]][]): OutboxEntry[] {
  return rows.map(([id, flat]) => ({ id, fields: entryFields(flat) }));
}
