import { AdmissionTokenVerifier } from './admission-token-verifier';
import { RemoteKeySet } from './remote-key-set';
import {
  admissionToken,
  JwksServer,
  waitroomKey,
  type WaitroomKey,
} from './testing/admission-token-fixtures';

describe('RemoteKeySet', () => {
  let jwks: JwksServer;
  let first: WaitroomKey;
  let second: WaitroomKey;
  let clock: number;
  let keySet: RemoteKeySet;
  let sut: AdmissionTokenVerifier;
  const expected = { eventId: 'ev-1' };

  beforeAll(async () => {
    jwks = await new JwksServer().start();
    first = await waitroomKey();
    second = await waitroomKey();
  });
  afterAll(() => jwks.stop());

  beforeEach(() => {
    jwks.serve([first.jwk]);
    clock = Date.now();
    keySet = new RemoteKeySet(jwks.url, { now: () => clock });
    sut = new AdmissionTokenVerifier(keySet.getKey);
  });

  /** Verifies `token` `times` times, one after the other: each verdict's reason, `ok` for a pass. */
  async function verifyInTurn(token: string, times: number): Promise<string[]> {
    const outcomes: string[] = [];
    for (let i = 0; i < times; i++) {
      const verdict = await sut.verify(token, expected);
      outcomes.push(verdict.ok ? 'ok' : verdict.reason);
    }
    return outcomes;
  }

  it('fetches once, then verifies known keys from its cache', async () => {
    const token = await admissionToken(first);
    expect(await verifyInTurn(token, 5)).toEqual(Array(5).fill('ok'));
    clock += 9 * 60_000;
    await expect(sut.verify(token, expected)).resolves.toMatchObject({ ok: true });
    expect(jwks.fetches).toBe(1);
    expect(keySet.keys).toEqual({ keys: [first.jwk] });
  });

  it('shares one fetch among concurrent first verifications', async () => {
    const token = await admissionToken(first);
    const verdicts = await Promise.all(Array.from({ length: 10 }, () => sut.verify(token, expected)));
    expect(verdicts.every((verdict) => verdict.ok)).toBe(true);
    expect(jwks.fetches).toBe(1);
  });

  it('fetches again exactly once for an unknown kid after the cooldown (key rotation)', async () => {
    await sut.verify(await admissionToken(first), expected);
    jwks.keys = [second.jwk, first.jwk];
    clock += 30_000;
    const rotated = await admissionToken(second);
    await expect(sut.verify(rotated, expected)).resolves.toMatchObject({ ok: true });
    expect(jwks.fetches).toBe(2);
    // Both keys are now known: no fetch for either.
    await expect(sut.verify(rotated, expected)).resolves.toMatchObject({ ok: true });
    await expect(sut.verify(await admissionToken(first), expected)).resolves.toMatchObject({ ok: true });
    expect(jwks.fetches).toBe(2);
  });

  it('does not fetch for unknown kids within the cooldown: forged key ids cost nothing', async () => {
    await sut.verify(await admissionToken(first), expected);
    const forged = await admissionToken(await waitroomKey());
    clock += 29_000;
    expect(await verifyInTurn(forged, 5)).toEqual(Array(5).fill('unknown_key'));
    expect(jwks.fetches).toBe(1);
    // After the cooldown an unknown kid is looked up once; still unknown, it is unknown_key.
    clock += 1000;
    expect(await verifyInTurn(forged, 3)).toEqual(Array(3).fill('unknown_key'));
    expect(jwks.fetches).toBe(2);
  });

  it('refreshes old keys in the background, keeping them when the waitroom is down', async () => {
    const token = await admissionToken(first);
    await sut.verify(token, expected);
    jwks.status = 503;
    clock += 10 * 60_000;
    // Answered from the cache at once; the refresh runs meanwhile and fails.
    await expect(sut.verify(token, expected)).resolves.toMatchObject({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(jwks.fetches).toBe(2);
    await expect(sut.verify(token, expected)).resolves.toMatchObject({ ok: true });
    expect(jwks.fetches).toBe(2);
    // A key the waitroom stopped publishing stops verifying once a refresh succeeds.
    jwks.status = 200;
    jwks.keys = [second.jwk];
    clock += 1000;
    await sut.verify(token, expected);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(sut.verify(token, expected)).resolves.toMatchObject({ ok: false });
    expect(jwks.fetches).toBe(3);
  });

  it('is jwks_unavailable while no key set could be fetched, trying again at most once per backoff', async () => {
    jwks.status = 500;
    const token = await admissionToken(first);
    expect(await verifyInTurn(token, 5)).toEqual(Array(5).fill('jwks_unavailable'));
    expect(jwks.fetches).toBe(1);
    jwks.status = 200;
    clock += 1000;
    await expect(sut.verify(token, expected)).resolves.toMatchObject({ ok: true });
    expect(jwks.fetches).toBe(2);
  });

  it('is jwks_unavailable for an unknown kid whose lookup fails', async () => {
    await sut.verify(await admissionToken(first), expected);
    jwks.status = 500;
    clock += 30_000;
    await expect(sut.verify(await admissionToken(second), expected)).resolves.toMatchObject({
      ok: false,
      reason: 'jwks_unavailable',
    });
    // Known keys still verify.
    await expect(sut.verify(await admissionToken(first), expected)).resolves.toMatchObject({ ok: true });
  });

  it.each([
    ['not JSON', 'text'],
    ['not a key set', 'object'],
  ])('treats an answer that is %s as unavailable', async (_label, kind) => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => res.end(kind === 'text' ? 'hello' : '{"keys": 3}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const verifier = AdmissionTokenVerifier.remote(`http://127.0.0.1:${port}/jwks.json`);
      await expect(verifier.verify(await admissionToken(first), expected)).resolves.toMatchObject({
        ok: false,
        reason: 'jwks_unavailable',
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => new RemoteKeySet('file:///etc/jwks.json')).toThrow(TypeError);
  });
});
