import { generateIdentityKeyPair, mintIdentityToken, type IdentityKeyPair } from '@waitroom/gate';
import { importJWK, SignJWT } from 'jose';
import { startApp, type RunningApp } from './support/app-harness';
import { ADMIN_KEY } from './support/test-env';

/**
 * Issue 24 item 6: join_identity_jwk. The site signs a short-lived identity token (sub = its
 * user id, aud = the event) with its own key; the event holds only the public JWK; a join
 * without a valid token is refused (403 IDENTITY_REQUIRED / IDENTITY_INVALID).
 */
describe('identity-bound places (join_identity_jwk)', () => {
  let svc: RunningApp;
  let site: IdentityKeyPair;

  beforeAll(async () => {
    svc = await startApp();
    site = await generateIdentityKeyPair('Ed25519');
  });
  afterAll(async () => {
    await svc?.close();
  });

  const join = (
    eventId: string,
    userId: string,
    identityToken?: string,
    headers: Record<string, string> = {},
  ) =>
    svc.http.post(
      '/api/v1/waitroom/join',
      {
        user_id: userId,
        event_id: eventId,
        ...(identityToken === undefined ? {} : { identity_token: identityToken }),
      },
      headers,
    );
  const mint = (
    userId: string,
    eventId: string,
    pair = site,
    extra: { ttlSeconds?: number; now?: () => number } = {},
  ) => mintIdentityToken({ privateJwk: pair.privateJwk, userId, eventId, ...extra });
  const expectRefused = (response: { status: number; body: any }, code: string) => {
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ status: 403, code, message: expect.any(String) });
  };

  it('refuses a private JWK, and anything that is no Ed25519 or P-256 public key, at PUT (400)', async () => {
    const eventId = `idjwk-${Date.now()}`;
    const p256 = await generateIdentityKeyPair('P-256');
    const bad: unknown[] = [
      site.privateJwk,
      p256.privateJwk,
      { kty: 'RSA', n: 'abc', e: 'AQAB' },
      { kty: 'oct', k: 'c2VjcmV0' },
      { kty: 'OKP', crv: 'X25519', x: site.publicJwk.x },
      { kty: 'OKP', crv: 'Ed25519' },
      { kty: 'OKP', crv: 'Ed25519', x: 'short' },
      { ...site.publicJwk, alg: 'none' },
      { ...site.publicJwk, alg: 'HS256' },
      { ...p256.publicJwk, y: undefined },
      // A point that is not on P-256.
      { kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'A'.repeat(43) },
      { ...site.publicJwk, extra: 'x' },
      'a string',
      [site.publicJwk],
    ];
    for (const jwk of bad) {
      const response = await svc.http.upsertEvent(eventId, { capacity: 1, join_identity_jwk: jwk });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      expect(response.body.errors.join(' ')).toMatch(/join_identity_jwk/);
    }
    expect(
      (await svc.http.upsertEvent(eventId, { capacity: 1, join_identity_jwk: site.privateJwk })).body.errors,
    ).toEqual(['join_identity_jwk must be a public key: it has a private part (d)']);
    const stored = await svc.http.upsertEvent(eventId, {
      capacity: 1,
      join_identity_jwk: { ...site.publicJwk, use: 'sig' },
    });
    expect(stored.status).toBe(201);
    // Only the key, its kid and alg are kept.
    expect(stored.body.join_identity_jwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: site.publicJwk.x,
      kid: site.publicJwk.kid,
      alg: 'EdDSA',
    });
    expect(
      (await svc.http.upsertEvent(eventId, { capacity: 1, join_identity_jwk: null })).body.join_identity_jwk,
    ).toBeNull();
  });

  it('a join needs a valid identity token: 403 IDENTITY_REQUIRED / IDENTITY_INVALID, trusted callers exempt', async () => {
    const eventId = await svc.http.createEvent('ident', {
      capacity: 1,
      state: 'paused',
      join_identity_jwk: site.publicJwk,
    });
    const other = await svc.http.createEvent('ident-other', { capacity: 1, state: 'paused' });
    const stranger = await generateIdentityKeyPair('Ed25519');

    expectRefused(await join(eventId, 'alice'), 'IDENTITY_REQUIRED');
    const token = await mint('alice', eventId);
    const joined = await join(eventId, 'alice', token);
    expect(joined.status).toBe(201);
    // A re-join of the live place needs the token too: its session id is the holder's capability.
    expectRefused(await join(eventId, 'alice'), 'IDENTITY_REQUIRED');
    expectRefused(await join(eventId, 'alice', await mint('alice', eventId, stranger)), 'IDENTITY_INVALID');
    const rejoined = await join(eventId, 'alice', token);
    expect(rejoined.status).toBe(200);
    expect(rejoined.body.session_id).toBe(joined.body.session_id);

    const now = Date.now();
    const payload = { sub: 'bob', aud: eventId };
    const privateKey = await importJWK(site.privateJwk, 'EdDSA');
    const unsigned = (header: object, body: object) =>
      `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.`;
    const invalid: [string, string][] = [
      ['wrong key', await mint('bob', eventId, stranger)],
      ['other user', await mint('carol', eventId)],
      ['other event', await mint('bob', other)],
      ['expired', await mint('bob', eventId, site, { ttlSeconds: 60, now: () => now - 180_000 })],
      [
        'too far ahead',
        await new SignJWT(payload)
          .setProtectedHeader({ alg: 'EdDSA' })
          .setIssuedAt()
          .setExpirationTime(Math.floor(now / 1000) + 7200)
          .sign(privateKey),
      ],
      [
        'without exp',
        await new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA' }).setIssuedAt().sign(privateKey),
      ],
      ['alg none', unsigned({ alg: 'none' }, { ...payload, exp: Math.floor(now / 1000) + 60 })],
      [
        'HS256 keyed with the public key',
        await new SignJWT(payload)
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime('1m')
          .sign(Buffer.from(site.publicJwk.x!, 'base64url')),
      ],
      ['garbage', 'not-a-token'],
      ['garbage with dots', 'a.b.c'],
      ['a cut signature', (await mint('bob', eventId)).slice(0, -3)],
    ];
    for (const [why, bad] of invalid) {
      const response = await join(eventId, 'bob', bad);
      expect({ why, status: response.status, code: response.body.code }).toEqual({
        why,
        status: 403,
        code: 'IDENTITY_INVALID',
      });
    }
    // Not a 500 for anything the field can hold; too long is the body's 400.
    expect((await join(eventId, 'bob', 'x'.repeat(5000))).status).toBe(400);
    expect((await join(eventId, 'bob', '')).status).toBe(400);

    // A token of an event without a key changes nothing; trusted callers need none.
    expect((await join(other, 'bob', await mint('bob', eventId))).status).toBe(201);
    expect((await join(eventId, 'bob', undefined, { 'x-api-key': ADMIN_KEY })).status).toBe(201);
  });

  it('P-256 keys work too, and a changed key is honoured at once (the old one is not)', async () => {
    const p256 = await generateIdentityKeyPair('P-256');
    const eventId = await svc.http.createEvent('ident-ec', {
      capacity: 1,
      state: 'paused',
      join_identity_jwk: p256.publicJwk,
    });
    expect((await join(eventId, 'dan', await mint('dan', eventId, p256))).status).toBe(201);
    const oldToken = await mint('erin', eventId, p256);
    await svc.http.upsertEvent(eventId, { capacity: 1, state: 'paused', join_identity_jwk: site.publicJwk });
    expectRefused(await join(eventId, 'erin', oldToken), 'IDENTITY_INVALID');
    expect((await join(eventId, 'erin', await mint('erin', eventId))).status).toBe(201);
    // Key removed: joins need no token again.
    await svc.http.upsertEvent(eventId, { capacity: 1, state: 'paused' });
    expect((await join(eventId, 'frank')).status).toBe(201);
    // And set again: required at once.
    await svc.http.upsertEvent(eventId, { capacity: 1, state: 'paused', join_identity_jwk: site.publicJwk });
    expectRefused(await join(eventId, 'gina'), 'IDENTITY_REQUIRED');
  });

  it('the waiting page takes identity_token with user_id and sends it with the join', async () => {
    const eventId = await svc.http.createEvent('ident-page', {
      capacity: 1,
      join_identity_jwk: site.publicJwk,
    });
    const token = await mint('hana', eventId);
    const config = async (query: string) => {
      const page = await svc.http.get(`/waitroom/${eventId}?${query}`);
      expect(page.status).toBe(200);
      return JSON.parse(/id="page-config">(.*?)<\/script>/s.exec(page.body as string)![1]) as {
        user_id: string | null;
        identity_token: string | null;
      };
    };
    expect(await config(`user_id=hana&identity_token=${token}`)).toMatchObject({
      user_id: 'hana',
      identity_token: token,
    });
    // Without user_id the token vouches for nobody: not used.
    expect((await config(`identity_token=${token}`)).identity_token).toBeNull();
  });
});
