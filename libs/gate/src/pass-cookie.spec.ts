import { cookieValues, isLocalhost, passCookie, passCookieIsSecure } from './pass-cookie';
import { SECURE_COOKIE_CASES } from './testing/gate-fixtures';

describe('passCookie', () => {
  const nowMs = Date.UTC(2030, 0, 1, 12, 0, 0, 400);
  const expiresAt = new Date(Date.UTC(2030, 0, 1, 12, 10, 0));

  it('writes the attributes of the waitroom gate endpoint, in its order', () => {
    expect(passCookie('h.p.s', expiresAt, true, nowMs)).toBe(
      'waitroom_pass=h.p.s; HttpOnly; SameSite=Lax; Path=/; Expires=Tue, 01 Jan 2030 12:10:00 GMT; Max-Age=600; Secure',
    );
    expect(passCookie('h.p.s', expiresAt, false, nowMs)).toBe(
      'waitroom_pass=h.p.s; HttpOnly; SameSite=Lax; Path=/; Expires=Tue, 01 Jan 2030 12:10:00 GMT; Max-Age=600',
    );
  });

  it('never writes a negative Max-Age (a pass honoured within the clock tolerance)', () => {
    expect(passCookie('h.p.s', expiresAt, true, expiresAt.getTime() + 20_000)).toContain('; Max-Age=0;');
  });
});

describe('passCookieIsSecure', () => {
  it.each(SECURE_COOKIE_CASES)('%s://%s -> Secure %s', (protocol, host, secure) => {
    expect(passCookieIsSecure(protocol, host)).toBe(secure);
  });

  it('reads bare IPv6 too', () => {
    expect(isLocalhost('::1')).toBe(true);
  });
});

describe('cookieValues', () => {
  it('finds every cookie of the name, trimmed and unquoted, and nothing of other names', () => {
    expect(cookieValues('a=1; waitroom_pass=x.y.z; b=2;waitroom_pass="q.r.s"', 'waitroom_pass')).toEqual([
      'x.y.z',
      'q.r.s',
    ]);
    expect(cookieValues('xwaitroom_pass=1; waitroom_passx=2; waitroom_pass=', 'waitroom_pass')).toEqual([]);
    expect(cookieValues(undefined, 'waitroom_pass')).toEqual([]);
  });

  it('returns at most the limit', () => {
    expect(cookieValues('n=1; n=2; n=3; n=4; n=5', 'n')).toEqual(['1', '2', '3']);
  });
});
