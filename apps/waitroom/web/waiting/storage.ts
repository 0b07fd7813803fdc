/**
 * What the page keeps in the browser: an anonymous user id (when the embedding site passes none)
 * and, per event, the session it joined, so a reload resumes the same place. localStorage can be
 * missing or refuse writes (private modes, storage off): then the page still works for this visit.
 */

const ANONYMOUS_ID_KEY = 'waitroom:anonymous-id';
const sessionKey = (eventId: string) => `waitroom:session:${eventId}`;
const memory = new Map<string, string>();

function read(key: string): string | null {
  try {
    return window.localStorage.getItem(key) ?? memory.get(key) ?? null;
  } catch {
    return memory.get(key) ?? null;
  }
}

function write(key: string, value: string | null): void {
  if (value === null) memory.delete(key);
  else memory.set(key, value);
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    // kept in memory only
  }
}

/** The embedding site's user id, else this browser's anonymous one (created once). */
export function userIdFor(fromSite: string | null): string {
  if (fromSite) return fromSite;
  let id = read(ANONYMOUS_ID_KEY);
  if (!id) {
    // getRandomValues works on plain http too (randomUUID needs a secure context).
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = `anon-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
    write(ANONYMOUS_ID_KEY, id);
  }
  return id;
}

export interface SavedSession {
  session_id: string;
  user_id: string;
  /** The position at join, for the progress bar. */
  start_position: number;
}

/** The session kept for this event, if it belongs to this user. */
export function loadSaved(eventId: string, userId: string): SavedSession | null {
  try {
    const saved = JSON.parse(read(sessionKey(eventId)) ?? 'null') as SavedSession | null;
    return saved && typeof saved.session_id === 'string' && saved.user_id === userId ? saved : null;
  } catch {
    return null;
  }
}

export function save(eventId: string, session: SavedSession): void {
  write(sessionKey(eventId), JSON.stringify(session));
}

export function forget(eventId: string): void {
  write(sessionKey(eventId), null);
}

/** checkout_url with waitroom_token added to its query (its own parameters kept), or null if not http(s). */
export function checkoutHref(checkoutUrl: string, token: string): string | null {
  try {
    const url = new URL(checkoutUrl, window.location.href);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    url.searchParams.set('waitroom_token', token);
    return url.toString();
  } catch {
    return null;
  }
}
