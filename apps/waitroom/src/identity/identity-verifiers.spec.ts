import { generateIdentityKeyPair, mintIdentityToken } from '@waitroom/gate';
import type { Environment } from '../config/environment';
import type { PublicIdentityJwk } from '../queue/event-config';
import { importIdentityKey } from './identity-tokens';
import { IdentityVerifiers } from './identity-verifiers';

describe('IdentityVerifiers', () => {
  it.each([0, 2])(
    'with %i threads: the same verdicts as the check itself',
    async (threads) => {
      const sut = new IdentityVerifiers({ IDENTITY_VERIFY_THREADS: threads } as Environment);
      try {
        const pair = await generateIdentityKeyPair('Ed25519');
        const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: pair.publicJwk.x } as PublicIdentityJwk;
        const key = await importIdentityKey(publicJwk);
        const text = JSON.stringify(publicJwk);
        const expected = { userId: 'u1', eventId: 'ev' };
        const good = await mintIdentityToken({ privateJwk: pair.privateJwk, ...expected });
        const other = await mintIdentityToken({ privateJwk: pair.privateJwk, userId: 'u2', eventId: 'ev' });
        const verdicts = await Promise.all(
          Array.from({ length: 20 }, (_, i) => sut.verify(i % 2 ? good : other, key, text, expected)),
        );
        expect(verdicts).toEqual(Array.from({ length: 20 }, (_, i) => i % 2 === 1));
        expect(await sut.verify('garbage', key, text, expected)).toBe(false);
        expect(sut.stats.onThreads > 0).toBe(threads > 0);
        expect(sut.stats.threadStarts).toBe(threads);
      } finally {
        await sut.onModuleDestroy();
      }
    },
    30_000,
  );

  it('checks on the calling thread what a thread that died had not answered', async () => {
    const sut = new IdentityVerifiers({ IDENTITY_VERIFY_THREADS: 1 } as Environment);
    try {
      const pair = await generateIdentityKeyPair('Ed25519');
      const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: pair.publicJwk.x } as PublicIdentityJwk;
      const key = await importIdentityKey(publicJwk);
      const expected = { userId: 'u1', eventId: 'ev' };
      const token = await mintIdentityToken({ privateJwk: pair.privateJwk, ...expected });
      const answer = sut.verify(token, key, JSON.stringify(publicJwk), expected);
      const threads = (sut as unknown as { threads: { worker: { terminate(): Promise<number> } }[] }).threads;
      await threads[0].worker.terminate();
      expect(await answer).toBe(true);
      // And a new thread takes the next one.
      expect(await sut.verify(token, key, JSON.stringify(publicJwk), expected)).toBe(true);
      expect(sut.stats.threadStarts).toBe(2);
    } finally {
      await sut.onModuleDestroy();
    }
  }, 30_000);
});
