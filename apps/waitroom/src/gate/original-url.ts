import { httpUrl } from '../common/http-url';

/** What a reverse proxy tells the gate about the request it checks (CONTRACT.md, "Gate"). */
export type ForwardedHeaders = Record<string, string | string[] | undefined>;

/** Longer original URLs are not taken as return_to (a waiting page URL must stay a sane length). */
export const MAX_ORIGINAL_URL_LENGTH = 4096;

/**
 * The original request's absolute URL: `X-Original-URL`, or `X-Forwarded-Proto` +
 * `X-Forwarded-Host` + `X-Original-URI` (or `X-Forwarded-Uri`). Null when the proxy passed
 * neither, or something that is not an http(s) URL without user-info and control characters:
 * the check then still reads the cookie, and the waiting page gets no return_to.
 */
export function originalUrlOf(headers: ForwardedHeaders): URL | null {
  const direct = single(headers['x-original-url']);
  if (direct !== undefined) return absoluteHttpUrl(direct);
  const proto = single(headers['x-forwarded-proto'])?.split(',')[0].trim().toLowerCase();
  const host = single(headers['x-forwarded-host'])?.split(',')[0].trim();
  const uri = single(headers['x-original-uri']) ?? single(headers['x-forwarded-uri']);
  if (!proto || !host || uri === undefined || !uri.startsWith('/') || uri.startsWith('//')) return null;
  if (/[/\\@?#]/.test(host)) return null;
  return absoluteHttpUrl(`${proto}://${host}${uri}`);
}

/**
 * The original request's target as the proxy sent it, unparsed and unchecked (`X-Original-URL`,
 * else `X-Original-URI` or `X-Forwarded-Uri`; "/" when none): enough to see whether its query
 * holds a token. What becomes return_to is originalUrlOf's.
 */
export function originalTargetOf(headers: ForwardedHeaders): string {
  return (
    single(headers['x-original-url']) ??
    single(headers['x-original-uri']) ??
    single(headers['x-forwarded-uri']) ??
    '/'
  );
}

function absoluteHttpUrl(text: string): URL | null {
  // Control characters (CR/LF, as sent or once decoded by a proxy) never make a URL here.
  // eslint-disable-next-line no-control-regex
  if (text.length > MAX_ORIGINAL_URL_LENGTH || /[\u0000-\u001f\u007f\s]/.test(text)) return null;
  return httpUrl(text);
}

/** The first of a header's values. */
export function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
