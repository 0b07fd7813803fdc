import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenVerifier } from './token-verifier';

interface KeyPair {
  privateKey: KeyLike;
  jwk: JWK;
}

async function keyPair(kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } };
}

/** A token as the waitroom signs it (AdmissionTokenService): EdDSA, kid, sub, aud, exp, user_id. */
function token(
  key: KeyPair,
  claims: { sub?: string; aud?: string; user_id?: unknown; expSeconds?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ user_id: 'user-1', ...('user_id' in claims ? { user_id: claims.user_id } : {}) })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.jwk.kid, typ: 'JWT' })
    .setIssuer('waitroom')
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.expSeconds ?? 600));
  if (claims.sub !== '') jwt.setSubject(claims.sub ?? 'ev-1~session');
  if (claims.aud !== '') jwt.setAudience(claims.aud ?? 'ev-1');
  return jwt.sign(key.privateKey);
}

describe('TokenVerifier (local key set)', () => {
  let waitroomKey: KeyPair;
  let otherKey: KeyPair;
  let sut: TokenVerifier;
  const expected = { eventId: 'ev-1', sessionId: 'ev-1~session' };

  beforeAll(async () => {
    waitroomKey = await keyPair('waitroom-key');
    otherKey = await keyPair('other-key');
    sut = new TokenVerifier(createLocalJWKSet({ keys: [waitroomKey.jwk] }));
  });

  it('accepts a token of the waitroom key and returns its claims', async () => {
    const verdict = await sut.verify(await token(waitroomKey), expected);
    expect(verdict).toMatchObject({
      ok: true,
      claims: { sessionId: 'ev-1~session', eventId: 'ev-1', userId: 'user-1', issuer: 'waitroom' },
    });
    if (verdict.ok) expect(verdict.claims.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('accepts an audience among several expected events (the page)', async () => {
    await expect(sut.verify(await token(waitroomKey), { eventId: ['a', 'ev-1'] })).resolves.toMatchObject({
      ok: true,
    });
  });

  it('refuses a token signed by another key under the same key id', async () => {
    const forged = await token({ privateKey: otherKey.privateKey, jwk: waitroomKey.jwk });
    await expect(sut.verify(forged, expected)).resolves.toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a token whose key id the waitroom does not publish', async () => {
    await expect(sut.verify(await token(otherKey), expected)).resolves.toMatchObject({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it('refuses an expired token', async () => {
    await expect(sut.verify(await token(waitroomKey, { expSeconds: -60 }), expected)).resolves.toMatchObject({
      ok: false,
      reason: 'expired',
    });
  });

  it.each([
    ['another event', { aud: 'ev-2' }],
    ['another session', { sub: 'ev-1~other' }],
    ['no audience', { aud: '' }],
    ['no user_id', { user_id: undefined }],
    ['a non-string user_id', { user_id: 7 }],
  ])('refuses a token for %s', async (_label, claims) => {
    await expect(sut.verify(await token(waitroomKey, claims), expected)).resolves.toMatchObject({
      ok: false,
      reason: 'wrong_claims',
    });
  });

  it('refuses an unsigned or HMAC token and garbage', async () => {
    const [header, payload] = (await token(waitroomKey)).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    await expect(sut.verify(none, expected)).resolves.toMatchObject({ ok: false, reason: 'malformed' });
    await expect(sut.verify(`${header}.${payload}`, expected)).resolves.toMatchObject({ ok: false });
    await expect(sut.verify('not-a-jwt', expected)).resolves.toMatchObject({
      ok: false,
      reason: 'malformed',
    });
  });
});

describe('TokenVerifier.remote', () => {
  let server: Server;
  let url: string;
  let served: JWK[] = [];
  let status = 200;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('verifies against the served key set, and says the key set is unavailable, not the token bad', async () => {
    const key = await keyPair('k1');
    served = [key.jwk];
    const good = await token(key);
    await expect(TokenVerifier.remote(url).verify(good, { eventId: 'ev-1' })).resolves.toMatchObject({
      ok: true,
    });

    status = 500;
    await expect(TokenVerifier.remote(url).verify(good, { eventId: 'ev-1' })).resolves.toMatchObject({
      ok: false,
      reason: 'jwks_unavailable',
    });
    status = 200;
    await expect(
      TokenVerifier.remote('http://127.0.0.1:1/.well-known/jwks.json').verify(good, { eventId: 'ev-1' }),
    ).resolves.toMatchObject({ ok: false, reason: 'jwks_unavailable' });
  });
});
