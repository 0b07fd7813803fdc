/** The cookie that holds a person's pass on the protected site (CONTRACT.md, "Gate: protect any site"). */
export const PASS_COOKIE = 'waitroom_pass';

/** The query parameter the waiting page adds to `return_to` once a person is admitted. */
export const TOKEN_PARAMETER = 'waitroom_token';

/**
 * The `Set-Cookie` value that turns a token from the URL into the pass cookie, exactly as the
 * waitroom's gate endpoint writes it: it ends with the checkout window, is out of reach of page
 * scripts, and goes with top-level navigations from the waiting page (Lax) but not with
 * cross-site subrequests. The token must be a verified one: its characters are then base64url
 * and dots, which need no quoting in a cookie.
 */
export function passCookie(token: string, expiresAt: Date, secure: boolean, nowMs: number): string {
  const expiresAtSeconds = Math.floor(expiresAt.getTime() / 1000);
  const maxAge = Math.max(0, expiresAtSeconds - Math.floor(nowMs / 1000));
  return (
    `${PASS_COOKIE}=${token}; HttpOnly; SameSite=Lax; Path=/; ` +
    `Expires=${new Date(expiresAtSeconds * 1000).toUTCString()}; Max-Age=${maxAge}` +
    (secure ? '; Secure' : '')
  );
}

/**
 * Whether the pass cookie is marked Secure: always, except over plain http to this machine,
 * where browsers would otherwise drop it and a developer's local site could never be passed.
 */
export function passCookieIsSecure(protocol: 'http' | 'https', host: string | undefined): boolean {
  return protocol === 'https' || !isLocalhost(host);
}

const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** `host` is a Host header: a name or address, with an optional port (IPv6 in brackets). */
export function isLocalhost(host: string | undefined): boolean {
  if (!host) return false;
  const lower = host.trim().toLowerCase();
  // "[::1]:8080", a bare "::1" (two colons or more: no port), "name:8080".
  const hostname = lower.startsWith('[')
    ? lower.slice(0, lower.indexOf(']') + 1)
    : lower.indexOf(':') !== lower.lastIndexOf(':')
      ? lower
      : lower.split(':')[0];
  return LOCAL_HOSTNAMES.has(hostname);
}

/**
 * The values of every cookie named `name` in a Cookie header. A browser sends several when the
 * same name was set for different paths or domains, so each may be the pass; at most `limit`
 * are returned, which bounds the verifications one request can cost.
 */
export function cookieValues(cookieHeader: string | undefined, name: string, limit = 3): string[] {
  if (!cookieHeader) return [];
  const values: string[] = [];
  for (const pair of cookieHeader.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== name) continue;
    let value = pair.slice(separator + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value !== '') values.push(value);
    if (values.length >= limit) break;
  }
  return values;
}
