import { httpUrl } from '../common/http-url';

/** Longer return_to values are ignored: no proxy sends one, and it would only bloat the page. */
export const MAX_RETURN_TO_LENGTH = 4096;

/**
 * The `return_to` the waiting page may send an admitted person to, or null (then it falls back
 * to checkout_url): an absolute http(s) URL, without user-info, control characters, white
 * space or backslashes, whose origin is the event's checkout_url origin or one of its
 * gate_origins (CONTRACT.md, "Gate"). Anything else is ignored, never followed: no open redirect.
 * The URL is returned as the URL parser writes it, so what the page links to is what was checked.
 */
export function allowedReturnTo(
  value: unknown,
  checkoutUrl: string | null,
  gateOrigins: readonly string[],
): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO_LENGTH) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(value)) return null;
  const url = httpUrl(value);
  if (!url || url.origin === 'null') return null;
  const allowed = new Set(gateOrigins);
  if (checkoutUrl) {
    try {
      allowed.add(new URL(checkoutUrl).origin);
    } catch {
      // a stored checkout_url is validated at PUT: nothing to add otherwise
    }
  }
  return allowed.has(url.origin) ? url.href : null;
}
