/**
 * `text` as an absolute http(s) URL without user-info, or null: the form of every URL this
 * service stores for an event, sends a browser to, or reads from a proxy. Callers add their
 * own rules (length, characters, https only, an origin only).
 */
export function httpUrl(text: unknown): URL | null {
  if (typeof text !== 'string') return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return null;
  return url;
}
