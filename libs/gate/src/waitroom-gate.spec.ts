import { AdmissionTokenVerifier } from './admission-token-verifier';
import { refusalResponse, WaitroomGate, type GateRequest, type WaitroomGateOptions } from './waitroom-gate';
import {
  admissionToken,
  hmacWithPublicKey,
  servedWaitroomKey,
  unsignedToken,
  waitroomKey,
  type JwksServer,
  type WaitroomKey,
} from './testing/admission-token-fixtures';
import { SECURE_COOKIE_CASES } from './testing/gate-fixtures';

const NOW = Date.UTC(2030, 5, 1, 12, 0, 0);
const EXPIRES = 'Sat, 01 Jun 2030 12:10:00 GMT';

function request(overrides: Partial<GateRequest> = {}): GateRequest {
  return {
    url: '/checkout?item=7',
    host: 'shop.example.com',
    protocol: 'https',
    cookieHeader: undefined,
    ...overrides,
  };
}

describe('WaitroomGate.checkRequest', () => {
  let key: WaitroomKey;
  let token: string;
  let sut: WaitroomGate;
  const make = (options: Partial<WaitroomGateOptions> = {}) =>
    new WaitroomGate({
      eventId: 'ev-1',
      waitroomUrl: 'https://queue.example.com/',
      keys: { keys: [key.jwk] },
      now: () => NOW,
      ...options,
    });

  beforeAll(async () => {
    key = await waitroomKey();
    token = await admissionToken(key, { nowMs: NOW, expSeconds: 600 });
  });
  beforeEach(() => (sut = make()));

  it('lets a request with the pass cookie through, setting nothing', async () => {
    await expect(sut.checkRequest(request({ cookieHeader: `a=1; waitroom_pass=${token}` }))).resolves.toEqual(
      {
        action: 'pass',
        claims: expect.objectContaining({ eventId: 'ev-1', sessionId: 'ev-1~session', userId: 'user-1' }),
        setCookie: null,
      },
    );
  });

  it('turns a token from the query into the pass cookie, with the exact attributes', async () => {
    await expect(
      sut.checkRequest(request({ url: `/checkout?item=7&waitroom_token=${token}` })),
    ).resolves.toEqual({
      action: 'pass',
      claims: expect.objectContaining({ eventId: 'ev-1' }),
      setCookie: `waitroom_pass=${token}; HttpOnly; SameSite=Lax; Path=/; Expires=${EXPIRES}; Max-Age=600; Secure`,
    });
  });

  it.each(SECURE_COOKIE_CASES)('marks the cookie Secure for %s://%s: %s', async (protocol, host, secure) => {
    const decision = await sut.checkRequest(request({ protocol, host, url: `/?waitroom_token=${token}` }));
    expect(decision.action === 'pass' && decision.setCookie?.endsWith('; Secure')).toBe(secure);
  });

  it('prefers the token of the URL to an older pass cookie', async () => {
    const older = await admissionToken(key, { nowMs: NOW - 300_000, expSeconds: 400, sub: 'ev-1~old' });
    const decision = await sut.checkRequest(
      request({ url: `/?waitroom_token=${token}`, cookieHeader: `waitroom_pass=${older}` }),
    );
    expect(decision).toMatchObject({ action: 'pass', claims: { sessionId: 'ev-1~session' } });
    expect(decision.action === 'pass' && decision.setCookie).toContain(token);
  });

  it('lets the cookie through when the token of the URL is bad', async () => {
    await expect(
      sut.checkRequest(request({ url: '/?waitroom_token=garbage', cookieHeader: `waitroom_pass=${token}` })),
    ).resolves.toMatchObject({ action: 'pass', setCookie: null });
  });

  it('sends a request without a pass to the waiting page, with the original absolute URL', async () => {
    const decision = await sut.checkRequest(request({ url: '/checkout?item=7&q=a b&x=%2F' }));
    expect(decision).toEqual({
      action: 'redirect',
      status: 302,
      reason: 'no_pass',
      location:
        'https://queue.example.com/waitroom/ev-1?return_to=' +
        encodeURIComponent('https://shop.example.com/checkout?item=7&q=a b&x=%2F'),
    });
    expect(refusalResponse(decision)).toEqual({
      status: 302,
      headers: { location: (decision as { location: string }).location, 'cache-control': 'no-store' },
      body: '',
    });
  });

  it('redirects on the same origin when waitroomUrl is empty', async () => {
    const sameOrigin = make({ waitroomUrl: '' });
    await expect(sameOrigin.checkRequest(request({ url: '/' }))).resolves.toMatchObject({
      location: `/waitroom/ev-1?return_to=${encodeURIComponent('https://shop.example.com/')}`,
    });
  });

  it('builds return_to from the public origin when one is configured', async () => {
    const behindProxy = make({ publicOrigin: 'https://shop.example.com' });
    const decision = await behindProxy.checkRequest(
      request({ protocol: 'http', host: '10.0.0.5:3000', url: `/a?waitroom_token=${token}` }),
    );
    expect(decision.action === 'pass' && decision.setCookie).toMatch(/; Secure$/);
    await expect(
      behindProxy.checkRequest(request({ protocol: 'http', host: '10.0.0.5:3000' })),
    ).resolves.toMatchObject({
      location: expect.stringContaining(encodeURIComponent('https://shop.example.com/checkout?item=7')),
    });
  });

  it('keeps only the path and query of an absolute-form request target', async () => {
    await expect(
      sut.checkRequest(request({ url: 'http://shop.example.com/x?y=1', protocol: 'https' })),
    ).resolves.toMatchObject({
      location: expect.stringContaining(encodeURIComponent('https://shop.example.com/x?y=1')),
    });
  });

  it('treats a pass expired beyond the clock tolerance as none, one within it as a pass', async () => {
    const cookieHeader = `waitroom_pass=${token}`;
    await expect(
      make({ now: () => NOW + 631_000 }).checkRequest(request({ cookieHeader })),
    ).resolves.toMatchObject({ action: 'redirect', reason: 'expired' });
    await expect(
      make({ now: () => NOW + 620_000 }).checkRequest(request({ cookieHeader })),
    ).resolves.toMatchObject({ action: 'pass' });
    await expect(
      make({ now: () => NOW + 620_000, clockToleranceSeconds: 0 }).checkRequest(request({ cookieHeader })),
    ).resolves.toMatchObject({ action: 'redirect', reason: 'expired' });
  });

  it.each([
    ['another event', () => admissionToken(key, { nowMs: NOW, aud: 'ev-2' }), 'wrong_claims'],
    [
      'a forged signature',
      async () =>
        admissionToken({ privateKey: (await waitroomKey()).privateKey, jwk: key.jwk }, { nowMs: NOW }),
      'bad_signature',
    ],
    ['an unknown key', async () => admissionToken(await waitroomKey(), { nowMs: NOW }), 'unknown_key'],
    ['alg: none', async () => unsignedToken(await admissionToken(key, { nowMs: NOW })), 'malformed'],
    ['HS256 with the public key', () => hmacWithPublicKey(key), 'malformed'],
    ['garbage', async () => 'garbage', 'malformed'],
  ])('sends a pass of %s to the waiting page, from the cookie or the URL', async (_label, mint, reason) => {
    const bad = await mint();
    await expect(sut.checkRequest(request({ cookieHeader: `waitroom_pass=${bad}` }))).resolves.toMatchObject({
      action: 'redirect',
      reason,
    });
    const viaUrl = await sut.checkRequest(request({ url: `/p?waitroom_token=${encodeURIComponent(bad)}` }));
    expect(viaUrl).toMatchObject({ action: 'redirect', reason });
    // return_to is the URL as requested, token included: nothing is stripped.
    expect(viaUrl).toMatchObject({
      location: expect.stringContaining(encodeURIComponent(`/p?waitroom_token=${encodeURIComponent(bad)}`)),
    });
  });

  it('ends a pass early when isRevoked says so', async () => {
    const isRevoked = jest.fn().mockResolvedValue(true);
    await expect(
      make({ isRevoked }).checkRequest(request({ cookieHeader: `waitroom_pass=${token}` })),
    ).resolves.toMatchObject({ action: 'redirect', reason: 'revoked' });
    expect(isRevoked).toHaveBeenCalledWith(
      expect.objectContaining({ sessionId: 'ev-1~session', eventId: 'ev-1' }),
    );
    await expect(
      make({ isRevoked: () => false }).checkRequest(request({ cookieHeader: `waitroom_pass=${token}` })),
    ).resolves.toMatchObject({ action: 'pass' });
  });

  it('answers 503 when isRevoked fails: it lets nobody through on an unanswered question', async () => {
    const decision = await make({
      isRevoked: () => Promise.reject(new Error('store down')),
      retryAfterSeconds: 7,
    }).checkRequest(request({ cookieHeader: `waitroom_pass=${token}` }));
    expect(decision).toEqual({
      action: 'unavailable',
      status: 503,
      retryAfterSeconds: 7,
      reason: 'revocation_check_failed',
    });
  });

  it('checkRemembered: a pass cookie verified before, unrevoked, with no token in the URL; else null', async () => {
    let revoked: boolean | Promise<boolean> = false;
    const gate = make({
      verifier: AdmissionTokenVerifier.local({ keys: [key.jwk] }, { rememberVerified: 10, now: () => NOW }),
      isRevoked: () => revoked,
    });
    const withCookie = (url = '/checkout?item=7') => ({ url, cookieHeader: `a=1; waitroom_pass=${token}` });
    // Not verified yet: the full check decides.
    expect(gate.checkRemembered(withCookie())).toBeNull();
    await expect(gate.checkRequest(request(withCookie()))).resolves.toMatchObject({ action: 'pass' });
    expect(gate.checkRemembered(withCookie())).toMatchObject({ action: 'pass', setCookie: null });
    expect(gate.checkRemembered(withCookie('https://shop.example.com/a'))).toMatchObject({ action: 'pass' });
    // A token in the URL (however spelled) is the full check's: it may set a cookie.
    expect(gate.checkRemembered(withCookie(`/p?waitroom_token=${token}`))).toBeNull();
    expect(gate.checkRemembered(withCookie('/p?waitroom%5Ftoken=x'))).toBeNull();
    expect(gate.checkRemembered({ url: '/', cookieHeader: undefined })).toBeNull();
    revoked = true;
    expect(gate.checkRemembered(withCookie())).toBeNull();
    revoked = Promise.resolve(false);
    expect(gate.checkRemembered(withCookie())).toBeNull();
  });

  it('refuses a configuration it cannot fetch keys for', () => {
    expect(() => new WaitroomGate({ eventId: 'ev-1', waitroomUrl: '' })).toThrow(/jwksUrl/);
    expect(() => new WaitroomGate({ eventId: '', waitroomUrl: 'https://q.example.com' })).toThrow(/eventId/);
  });
});

describe('WaitroomGate with the key set of a waitroom', () => {
  let jwks: JwksServer;
  let key: WaitroomKey;
  let sut: WaitroomGate;

  beforeAll(async () => {
    ({ key, jwks } = await servedWaitroomKey());
  });
  afterAll(() => jwks.stop());
  beforeEach(() => {
    jwks.serve([key.jwk]);
    sut = new WaitroomGate({ eventId: 'ev-1', waitroomUrl: '', jwksUrl: jwks.url });
  });

  it('fetches the keys once for many requests', async () => {
    const cookieHeader = `waitroom_pass=${await admissionToken(key)}`;
    for (let i = 0; i < 5; i++)
      await expect(sut.checkRequest(request({ cookieHeader }))).resolves.toMatchObject({ action: 'pass' });
    expect(jwks.fetches).toBe(1);
  });

  it('answers 503 with Retry-After while the keys cannot be fetched, never a pass', async () => {
    jwks.status = 500;
    const decision = await sut.checkRequest(
      request({ cookieHeader: `waitroom_pass=${await admissionToken(key)}` }),
    );
    expect(decision).toEqual({
      action: 'unavailable',
      status: 503,
      retryAfterSeconds: 5,
      reason: 'jwks_unavailable',
    });
    expect(refusalResponse(decision)).toMatchObject({
      status: 503,
      headers: { 'retry-after': '5', 'cache-control': 'no-store' },
    });
  });

  it('still sends people without a pass, or with garbage, to the waiting page while the keys are away', async () => {
    jwks.status = 500;
    await expect(sut.checkRequest(request())).resolves.toMatchObject({
      action: 'redirect',
      reason: 'no_pass',
    });
    await expect(sut.checkRequest(request({ cookieHeader: 'waitroom_pass=junk' }))).resolves.toMatchObject({
      action: 'redirect',
      reason: 'malformed',
    });
    expect(jwks.fetches).toBe(0);
  });
});
