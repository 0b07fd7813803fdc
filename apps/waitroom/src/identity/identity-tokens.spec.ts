import { generateIdentityKeyPair, mintIdentityToken } from '@waitroom/gate';
import { importJWK, SignJWT } from 'jose';
import type { PublicIdentityJwk } from '../queue/event-config';
import { importIdentityKey, isValidIdentityToken } from './identity-tokens';

describe('identity tokens', () => {
  const expected = { userId: 'user-1', eventId: 'ev' };

  it.each(['Ed25519', 'P-256'] as const)(
    'accepts a %s token of the key, for this user and event only',
    async (kind) => {
      const pair = await generateIdentityKeyPair(kind);
      const sut = await importIdentityKey(pair.publicJwk as PublicIdentityJwk);
      const token = await mintIdentityToken({ privateJwk: pair.privateJwk, ...expected });
      expect(await isValidIdentityToken(token, sut, expected)).toBe(true);
      expect(await isValidIdentityToken(token, sut, { ...expected, userId: 'user-2' })).toBe(false);
      expect(await isValidIdentityToken(token, sut, { ...expected, eventId: 'other' })).toBe(false);
    },
  );

  it('refuses other keys, other algorithms, expired, too far ahead and garbage', async () => {
    const pair = await generateIdentityKeyPair('Ed25519');
    const other = await generateIdentityKeyPair('Ed25519');
    const sut = await importIdentityKey(pair.publicJwk as PublicIdentityJwk);
    const key = await importJWK(pair.privateJwk, 'EdDSA');
    const now = Date.now();
    const claims = { sub: expected.userId, aud: expected.eventId };
    const seconds = Math.floor(now / 1000);
    const refused = [
      await mintIdentityToken({ privateJwk: other.privateJwk, ...expected }),
      await mintIdentityToken({
        privateJwk: pair.privateJwk,
        ...expected,
        ttlSeconds: 10,
        now: () => now - 60_000,
      }),
      await new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA' })
        .setExpirationTime(seconds + 3700)
        .sign(key),
      await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA' }).sign(key),
      await new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA' })
        .setExpirationTime(seconds + 60)
        .setNotBefore(seconds + 600)
        .sign(key),
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, exp: seconds + 60 })).toString('base64url')}.`,
      'garbage',
      'a.b.c',
      '',
      'x'.repeat(3000),
    ];
    for (const token of refused)
      expect(await isValidIdentityToken(token, sut, { ...expected, nowMs: now })).toBe(false);
    // An hour ahead (with the skew allowed) is still fine.
    const hour = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA' })
      .setExpirationTime(seconds + 3600)
      .sign(key);
    expect(await isValidIdentityToken(hour, sut, { ...expected, nowMs: now })).toBe(true);
  });

  it('will not import a P-256 point that is not on the curve', async () => {
    await expect(
      importIdentityKey({ kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'A'.repeat(43) }),
    ).rejects.toThrow();
  });
});
