import Fastify from 'fastify';
import { validateEnvironment } from '../config/environment';
import { clientAddress, proxyTrust } from './client-address';

describe('clientAddress', () => {
  const forwarded = [undefined, '203.0.113.7', '203.0.113.7, 198.51.100.2', 'junk, 10.0.0.1, 10.0.0.2', ''];

  it.each([0, 1, 2, 3])(
    'names the caller as Fastify’s request.ip does with %i trusted hops',
    async (hops) => {
      const trust = proxyTrust(
        validateEnvironment({ NODE_ENV: 'development', TRUST_PROXY_HOPS: String(hops) }),
      );
      const app = Fastify({ trustProxy: trust });
      app.get('/', async (request) => ({ fastify: request.ip, ours: clientAddress(request.raw, trust) }));
      try {
        for (const header of forwarded) {
          for (const remoteAddress of ['127.0.0.1', '192.0.2.44']) {
            const response = await app.inject({
              method: 'GET',
              url: '/',
              remoteAddress,
              headers: header === undefined ? {} : { 'x-forwarded-for': header },
            });
            const { fastify, ours } = response.json<{ fastify: string; ours: string }>();
            expect(ours).toBe(fastify);
          }
        }
      } finally {
        await app.close();
      }
    },
  );
});
