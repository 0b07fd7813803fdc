import { createLocalJWKSet } from 'jose';
import { AdmissionTokenVerifier } from './admission-token-verifier';
import {
  admissionToken,
  hmacWithPublicKey,
  servedWaitroomKey,
  unsignedToken,
  waitroomKey,
  type JwksServer,
  type WaitroomKey,
} from './testing/admission-token-fixtures';

describe('AdmissionTokenVerifier (local key set)', () => {
  let key: WaitroomKey;
  let otherKey: WaitroomKey;
  let sut: AdmissionTokenVerifier;
  const expected = { eventId: 'ev-1', sessionId: 'ev-1~session' };

  beforeAll(async () => {
    key = await waitroomKey();
    otherKey = await waitroomKey();
    sut = AdmissionTokenVerifier.local({ keys: [key.jwk] });
  });

  it('accepts a token of the waitroom key and returns its claims', async () => {
    const verdict = await sut.verify(await admissionToken(key), expected);
    expect(verdict).toMatchObject({
      ok: true,
      claims: { sessionId: 'ev-1~session', eventId: 'ev-1', userId: 'user-1', issuer: 'waitroom' },
    });
    if (verdict.ok) expect(verdict.claims.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('accepts an audience among several expected events, and any session when none is expected', async () => {
    await expect(sut.verify(await admissionToken(key), { eventId: ['a', 'ev-1'] })).resolves.toMatchObject({
      ok: true,
    });
  });

  it('refuses a token signed by another key under the same key id', async () => {
    const forged = await admissionToken({ privateKey: otherKey.privateKey, jwk: key.jwk });
    await expect(sut.verify(forged, expected)).resolves.toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a token whose key id the waitroom does not publish', async () => {
    await expect(sut.verify(await admissionToken(otherKey), expected)).resolves.toMatchObject({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it('refuses a token expired beyond the clock tolerance, accepts one within it', async () => {
    await expect(sut.verify(await admissionToken(key, { expSeconds: -60 }), expected)).resolves.toMatchObject(
      {
        ok: false,
        reason: 'expired',
      },
    );
    await expect(sut.verify(await admissionToken(key, { expSeconds: -20 }), expected)).resolves.toMatchObject(
      {
        ok: true,
      },
    );
  });

  it('takes its clock tolerance and clock from the options', async () => {
    const nowMs = Date.UTC(2030, 0, 1);
    const token = await admissionToken(key, { nowMs, expSeconds: 600 });
    const strict = AdmissionTokenVerifier.local(
      { keys: [key.jwk] },
      { clockToleranceSeconds: 0, now: () => nowMs + 601_000 },
    );
    await expect(strict.verify(token, expected)).resolves.toMatchObject({ ok: false, reason: 'expired' });
    const lenient = AdmissionTokenVerifier.local(
      { keys: [key.jwk] },
      { clockToleranceSeconds: 5, now: () => nowMs + 604_000 },
    );
    await expect(lenient.verify(token, expected)).resolves.toMatchObject({ ok: true });
  });

  it.each([
    ['another event', { aud: 'ev-2' }],
    ['another session', { sub: 'ev-1~other' }],
    ['no audience', { aud: '' }],
    ['no subject', { sub: '' }],
    ['no user_id', { user_id: undefined }],
    ['a non-string user_id', { user_id: 7 }],
  ])('refuses a token for %s', async (_label, claims) => {
    await expect(sut.verify(await admissionToken(key, claims), expected)).resolves.toMatchObject({
      ok: false,
      reason: 'wrong_claims',
    });
  });

  it('checks the issuer when told to', async () => {
    const token = await admissionToken(key);
    const verifier = (issuer: string) => AdmissionTokenVerifier.local({ keys: [key.jwk] }, { issuer });
    await expect(verifier('waitroom').verify(token, expected)).resolves.toMatchObject({ ok: true });
    await expect(verifier('someone-else').verify(token, expected)).resolves.toMatchObject({
      ok: false,
      reason: 'wrong_claims',
    });
  });

  it('refuses an unsigned token (alg: none)', async () => {
    await expect(sut.verify(unsignedToken(await admissionToken(key)), expected)).resolves.toMatchObject({
      ok: false,
      reason: 'malformed',
    });
  });

  it('refuses an HS256 token whose secret is the public key (algorithm confusion)', async () => {
    await expect(sut.verify(await hmacWithPublicKey(key), expected)).resolves.toMatchObject({
      ok: false,
      reason: 'malformed',
    });
  });

  it.each([['not-a-jwt'], [''], ['a.b'], ['a.b.c'], ['x'.repeat(5000)]])(
    'refuses garbage (%#)',
    async (garbage) => {
      await expect(sut.verify(garbage, expected)).resolves.toMatchObject({ ok: false, reason: 'malformed' });
    },
  );

  it('refuses a valid token with characters outside base64url around it (they would reach a cookie)', async () => {
    const token = await admissionToken(key);
    // jose alone accepts the second and third: its base64 decoding skips ';' and ' '.
    const signatureStart = token.lastIndexOf('.') + 1;
    const withSemicolon = `${token.slice(0, signatureStart + 4)};${token.slice(signatureStart + 4)}`;
    for (const tampered of [`${token}; Domain=evil.example`, `${token} `, withSemicolon, `${token}==`])
      await expect(sut.verify(tampered, expected)).resolves.toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('AdmissionTokenVerifier.remote', () => {
  let jwks: JwksServer;
  let key: WaitroomKey;

  beforeAll(async () => {
    ({ key, jwks } = await servedWaitroomKey());
  });
  afterAll(() => jwks.stop());

  it('verifies against the served key set, and says the key set is unavailable, not the token bad', async () => {
    const good = await admissionToken(key);
    await expect(
      AdmissionTokenVerifier.remote(jwks.url).verify(good, { eventId: 'ev-1' }),
    ).resolves.toMatchObject({
      ok: true,
    });

    jwks.status = 500;
    await expect(
      AdmissionTokenVerifier.remote(jwks.url).verify(good, { eventId: 'ev-1' }),
    ).resolves.toMatchObject({
      ok: false,
      reason: 'jwks_unavailable',
    });
    jwks.status = 200;
    await expect(
      AdmissionTokenVerifier.remote('http://127.0.0.1:1/.well-known/jwks.json').verify(good, {
        eventId: 'ev-1',
      }),
    ).resolves.toMatchObject({ ok: false, reason: 'jwks_unavailable' });
  });

  it('refuses alg: none, HS256 and garbage without fetching the key set', async () => {
    const before = jwks.fetches;
    const sut = AdmissionTokenVerifier.remote(jwks.url);
    for (const token of [unsignedToken(await admissionToken(key)), await hmacWithPublicKey(key), 'garbage'])
      await expect(sut.verify(token, { eventId: 'ev-1' })).resolves.toMatchObject({
        ok: false,
        reason: 'malformed',
      });
    expect(jwks.fetches).toBe(before);
  });
});

describe('AdmissionTokenVerifier remembering tokens that verified (rememberVerified)', () => {
  let key: WaitroomKey;
  beforeAll(async () => {
    key = await waitroomKey();
  });

  it('verifies a token once, then answers from memory until its exp (with the tolerance)', async () => {
    let lookups = 0;
    let nowMs = Date.now();
    const keySet = createLocalJWKSet({ keys: [key.jwk] });
    const sut = new AdmissionTokenVerifier(
      (header, token) => {
        lookups++;
        return keySet(header, token);
      },
      { rememberVerified: 2, clockToleranceSeconds: 5, now: () => nowMs },
    );
    const token = await admissionToken(key, { expSeconds: 60, nowMs });
    const expected = { eventId: 'ev-1' };
    for (let i = 0; i < 5; i++) expect((await sut.verify(token, expected)).ok).toBe(true);
    expect(lookups).toBe(1);
    // Another event expected: not the remembered verdict.
    expect((await sut.verify(token, { eventId: 'ev-2' })).ok).toBe(false);
    // Past exp and the tolerance: verified again, and refused as expired.
    nowMs += 66_000;
    expect(await sut.verify(token, expected)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('answers verifiedBefore without waiting only for a remembered, unexpired token of the same event', async () => {
    let nowMs = Date.now();
    const sut = AdmissionTokenVerifier.local(
      { keys: [key.jwk] },
      { rememberVerified: 2, clockToleranceSeconds: 5, now: () => nowMs },
    );
    const token = await admissionToken(key, { expSeconds: 60, nowMs });
    expect(sut.verifiedBefore(token, { eventId: 'ev-1' })).toBeNull();
    expect((await sut.verify(token, { eventId: 'ev-1' })).ok).toBe(true);
    expect(sut.verifiedBefore(token, { eventId: 'ev-1' })).toMatchObject({ eventId: 'ev-1' });
    expect(sut.verifiedBefore(token, { eventId: 'ev-2' })).toBeNull();
    expect(sut.verifiedBefore(`${token}x`, { eventId: 'ev-1' })).toBeNull();
    nowMs += 66_000;
    expect(sut.verifiedBefore(token, { eventId: 'ev-1' })).toBeNull();
    // A verifier that remembers nothing never answers without verifying.
    const forgetful = AdmissionTokenVerifier.local({ keys: [key.jwk] });
    expect((await forgetful.verify(token, { eventId: 'ev-1' })).ok).toBe(true);
    expect(forgetful.verifiedBefore(token, { eventId: 'ev-1' })).toBeNull();
  });

  it('never remembers a refusal, and keeps at most the number asked for', async () => {
    const sut = AdmissionTokenVerifier.local({ keys: [key.jwk] }, { rememberVerified: 2 });
    const remembered = (sut as unknown as { verified: Map<string, unknown> }).verified;
    await sut.verify('garbage', { eventId: 'ev-1' });
    expect(remembered.size).toBe(0);
    const tokens = await Promise.all([1, 2, 3].map((n) => admissionToken(key, { sub: `ev-1~s${n}` })));
    for (const token of tokens) await sut.verify(token, { eventId: 'ev-1' });
    expect(remembered.size).toBe(2);
  });
});
