import fastify, { type FastifyInstance } from 'fastify';
import { pinnedKeyGate } from '../testing/gate-fixtures';
import { createGateFastifyHook } from './fastify';

describe('createGateFastifyHook (Fastify onRequest)', () => {
  let token: string;
  let handled: number;
  let app: FastifyInstance;

  beforeAll(async () => {
    const gate = await pinnedKeyGate();
    token = gate.token;
    app = fastify();
    app.addHook('onRequest', createGateFastifyHook(gate.options));
    app.get('/checkout', async (_request, reply) => {
      handled++;
      return reply.header('set-cookie', 'site=1; Path=/').send({ page: 'checkout' });
    });
    await app.ready();
  });
  beforeEach(() => (handled = 0));
  afterAll(() => app.close());

  it('lets a request with the pass cookie reach the route', async () => {
    const response = await app.inject({ url: '/checkout', headers: { cookie: `waitroom_pass=${token}` } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ page: 'checkout' });
    expect(response.headers['set-cookie']).toBe('site=1; Path=/');
  });

  it("sets the pass cookie from the URL beside the route's own cookie (Secure: not localhost)", async () => {
    const response = await app.inject({
      url: `/checkout?waitroom_token=${token}`,
      headers: { host: 'shop.example.com' },
    });
    expect(response.statusCode).toBe(200);
    const cookies = response.headers['set-cookie'] as string[];
    expect(cookies[0]).toMatch(
      new RegExp(`^waitroom_pass=${token}; HttpOnly; SameSite=Lax; Path=/; .*; Secure$`),
    );
    expect(cookies[1]).toBe('site=1; Path=/');
  });

  it('leaves Secure out over plain http on localhost', async () => {
    const response = await app.inject({
      url: `/checkout?waitroom_token=${token}`,
      headers: { host: 'localhost:3000' },
    });
    expect((response.headers['set-cookie'] as string[])[0]).not.toContain('Secure');
  });

  it('redirects a request without a pass before the route runs', async () => {
    const response = await app.inject({ url: '/checkout?item=7', headers: { host: 'shop.example.com' } });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe(
      `https://queue.example.com/waitroom/ev-1?return_to=${encodeURIComponent('http://shop.example.com/checkout?item=7')}`,
    );
    expect(handled).toBe(0);
  });

  it('answers 503 with Retry-After while the key set cannot be fetched, before the route runs', async () => {
    const down = fastify();
    down.addHook('onRequest', createGateFastifyHook({ eventId: 'ev-1', waitroomUrl: 'http://127.0.0.1:1' }));
    down.get('/', async () => {
      handled++;
      return 'page';
    });
    try {
      const response = await down.inject({ url: '/', headers: { cookie: `waitroom_pass=${token}` } });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(handled).toBe(0);
    } finally {
      await down.close();
    }
  });
});
