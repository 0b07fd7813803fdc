import { generateIdentityKeyPair, mintIdentityToken, type IdentityKeyPair } from '@waitroom/gate';
import { createHash } from 'node:crypto';
import type { QueueRepository } from '../queue/queue.repository';
import type { Environment } from '../config/environment';
import { IdentityKeys } from './identity-keys';
import { IdentityVerifiers } from './identity-verifiers';

describe('IdentityKeys', () => {
  let stored: string | null;
  let reads: number;
  let sut: IdentityKeys;
  let site: IdentityKeyPair;
  const input = (token: string | undefined, trusted = false) => ({
    eventId: 'ev',
    userId: 'u1',
    token,
    trusted,
  });
  const store = (pair: IdentityKeyPair | null) => {
    stored = pair && JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: pair.publicJwk.x });
  };
  const digest = () => createHash('sha1').update(stored!).digest('hex');

  beforeAll(async () => {
    site = await generateIdentityKeyPair('Ed25519');
  });
  beforeEach(() => {
    reads = 0;
    store(site);
    sut = new IdentityKeys(
      {
        identityJwk: () => {
          reads++;
          return Promise.resolve(stored);
        },
      } as unknown as QueueRepository,
      new IdentityVerifiers({ IDENTITY_VERIFY_THREADS: 0 } as Environment),
    );
  });

  it('reads nothing for a join without a token or from a trusted caller', async () => {
    expect(await sut.verdict(input(undefined))).toEqual({ kind: 'none' });
    expect(await sut.verdict(input('anything', true))).toEqual({ kind: 'exempt' });
    expect(reads).toBe(0);
  });

  it("names the key a valid token was checked with, and reads the event's key once for many joins", async () => {
    const token = await mintIdentityToken({ privateJwk: site.privateJwk, userId: 'u1', eventId: 'ev' });
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => sut.verdict(input(token))));
    for (const verdict of verdicts) expect(verdict).toEqual({ kind: 'valid', keyDigest: digest() });
    expect(reads).toBe(1);
  });

  it('reads the key again when a token fails against the cached one, and takes a rotated key at once', async () => {
    const next = await generateIdentityKeyPair('Ed25519');
    await sut.verdict(
      input(await mintIdentityToken({ privateJwk: site.privateJwk, userId: 'u1', eventId: 'ev' })),
    );
    store(next);
    const token = await mintIdentityToken({ privateJwk: next.privateJwk, userId: 'u1', eventId: 'ev' });
    expect(await sut.verdict(input(token))).toEqual({ kind: 'valid', keyDigest: digest() });
    expect(await sut.verdict(input('garbage'))).toEqual({ kind: 'invalid' });
  });

  it('a token for an event without a key is left to the join script (none)', async () => {
    store(null);
    expect(await sut.verdict(input('whatever'))).toEqual({ kind: 'none' });
  });
});
