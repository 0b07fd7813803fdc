import { decodeProtectedHeader, jwtVerify, importJWK, type JWK } from 'jose';
import { generateIdentityKeyPair, mintIdentityToken } from './identity-token';

describe('mintIdentityToken', () => {
  it.each([
    ['Ed25519', 'OKP', 'EdDSA'],
    ['P-256', 'EC', 'ES256'],
  ] as const)(
    'signs with the %s key kind a token that verifies under its public JWK',
    async (kind, kty, alg) => {
      const { privateJwk, publicJwk } = await generateIdentityKeyPair(kind);
      expect(publicJwk).toMatchObject({ kty, alg, use: 'sig', kid: privateJwk.kid });
      expect(publicJwk).not.toHaveProperty('d');
      expect(privateJwk).toHaveProperty('d');

      const before = Math.floor(Date.now() / 1000);
      const sut = await mintIdentityToken({ privateJwk, userId: 'user-42', eventId: 'ev-1' });
      expect(decodeProtectedHeader(sut)).toEqual({ alg, typ: 'JWT', kid: publicJwk.kid });
      const { payload } = await jwtVerify(sut, await importJWK(publicJwk, alg), {
        algorithms: [alg],
        audience: 'ev-1',
        subject: 'user-42',
      });
      expect(payload.iat).toBeGreaterThanOrEqual(before);
      expect(payload.exp! - payload.iat!).toBe(300);
    },
  );

  it('takes the lifetime and the clock from the input, up to one hour', async () => {
    const { privateJwk, publicJwk } = await generateIdentityKeyPair('P-256');
    const nowMs = Date.UTC(2030, 0, 1);
    const sut = await mintIdentityToken({
      privateJwk,
      userId: 'u',
      eventId: 'e',
      ttlSeconds: 3600,
      now: () => nowMs,
    });
    const { payload } = await jwtVerify(sut, await importJWK(publicJwk, 'ES256'), {
      currentDate: new Date(nowMs),
    });
    expect(payload).toMatchObject({ sub: 'u', aud: 'e', iat: nowMs / 1000, exp: nowMs / 1000 + 3600 });
  });

  it('works with a private JWK without kid or alg (no kid in the header then)', async () => {
    const { privateJwk } = await generateIdentityKeyPair('Ed25519');
    const bare = { ...privateJwk };
    delete bare.kid;
    delete bare.alg;
    delete bare.use;
    const sut = await mintIdentityToken({ privateJwk: bare, userId: 'u', eventId: 'e' });
    expect(decodeProtectedHeader(sut)).toEqual({ alg: 'EdDSA', typ: 'JWT' });
  });

  it.each([3601, 0, -5, 1.5, Number.NaN])('refuses a lifetime of %s seconds', async (ttlSeconds) => {
    const { privateJwk } = await generateIdentityKeyPair('Ed25519');
    await expect(mintIdentityToken({ privateJwk, userId: 'u', eventId: 'e', ttlSeconds })).rejects.toThrow(
      RangeError,
    );
  });

  it('refuses a public key, another key type, and empty ids', async () => {
    const { privateJwk, publicJwk } = await generateIdentityKeyPair('Ed25519');
    await expect(mintIdentityToken({ privateJwk: publicJwk, userId: 'u', eventId: 'e' })).rejects.toThrow(
      /private/,
    );
    const rsa: JWK = { kty: 'RSA', n: 'AQAB', e: 'AQAB', d: 'AQAB' };
    await expect(mintIdentityToken({ privateJwk: rsa, userId: 'u', eventId: 'e' })).rejects.toThrow(
      /Ed25519/,
    );
    const p384: JWK = { kty: 'EC', crv: 'P-384', x: 'x', y: 'y', d: 'd' };
    await expect(mintIdentityToken({ privateJwk: p384, userId: 'u', eventId: 'e' })).rejects.toThrow(/P-256/);
    await expect(mintIdentityToken({ privateJwk, userId: '', eventId: 'e' })).rejects.toThrow(/userId/);
    await expect(mintIdentityToken({ privateJwk, userId: 'u', eventId: '' })).rejects.toThrow(/eventId/);
  });
});
