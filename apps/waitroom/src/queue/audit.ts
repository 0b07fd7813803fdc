import { isoTimeOrNull } from '../common/iso-time';

/** What an admin change did (an entry's `action`). */
export type AuditAction = 'create' | 'update' | 'sold_out' | 'delete';

/** One entry of GET /admin/events/:id/audit. */
export interface AuditEntryView {
  at: string | null;
  /** The name of the admin key that made the change (never the key). */
  actor: string;
  /** An AuditAction (a string, so an entry of a later version still reads). */
  action: string;
  /** Each changed field, by its contract name, with its old and new value. */
  changes: Record<string, { old: unknown; new: unknown }>;
}

const number = (value: string) => (value === '' ? null : Number(value));
const text = (value: string) => (value === '' ? null : value);
const instant = (value: string) => (value === '' ? null : isoTimeOrNull(Number(value)));

/**
 * The config hash's fields (event-config.ts, configToHashFields) by their contract name, with
 * how a stored value reads in the API. A field not listed here is never shown (none other is
 * written by a change; the draw's secret seed, `salt`, never is).
 */
const FIELDS: Record<string, { name: string; value: (stored: string) => unknown }> = {
  state: { name: 'state', value: text },
  capacity: { name: 'capacity', value: number },
  rate: { name: 'admission_rate_per_minute', value: number },
  timeout: { name: 'checkout_timeout_seconds', value: number },
  opens_at: { name: 'opens_at', value: instant },
  shuffle: { name: 'shuffle_at_open', value: (stored) => stored === '1' },
  idle: { name: 'idle_timeout_seconds', value: number },
  checkout_url: { name: 'checkout_url', value: text },
  bot_check: { name: 'bot_check', value: (stored) => (stored === 'pow' ? 'proof_of_work' : 'off') },
  bot_max: { name: 'bot_check_max_number', value: number },
  msg: { name: 'message', value: text },
  closes_at: { name: 'closes_at', value: instant },
  display_name: { name: 'display_name', value: text },
  brand_color: { name: 'brand_color', value: text },
  logo_url: { name: 'logo_url', value: text },
  // Stored only when above 1.
  shards: { name: 'shards', value: (stored) => (stored === '' ? 1 : Number(stored)) },
};

/** One stored entry (includes/audit.lua) as the contract shows it; null if it is not readable. */
export function auditEntryView(stored: string): AuditEntryView | null {
  let entry: unknown;
  try {
    entry = JSON.parse(stored);
  } catch {
    return null;
  }
  if (typeof entry !== 'object' || entry === null) return null;
  const { at, actor, action, changes } = entry as Record<string, unknown>;
  const view: AuditEntryView = {
    at: typeof at === 'number' ? isoTimeOrNull(at) : null,
    actor: typeof actor === 'string' ? actor : '',
    action: typeof action === 'string' ? action : '',
    changes: {},
  };
  if (typeof changes === 'object' && changes !== null && !Array.isArray(changes)) {
    for (const [field, pair] of Object.entries(changes)) {
      const known = FIELDS[field];
      if (!known || !Array.isArray(pair) || pair.length !== 2) continue;
      view.changes[known.name] = { old: known.value(String(pair[0])), new: known.value(String(pair[1])) };
    }
  }
  return view;
}
