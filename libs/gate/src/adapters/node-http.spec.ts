import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pinnedKeyGate, type PinnedKeyGate } from '../testing/gate-fixtures';
import { WaitroomGate } from '../waitroom-gate';
import { createGateMiddleware } from './node-http';

/** A site on node:http; `prepare` plays the framework in front of the middleware, if any. */
async function site(
  gate: WaitroomGate,
  prepare: (req: IncomingMessage) => void = () => undefined,
): Promise<{ server: Server; origin: string }> {
  const middleware = createGateMiddleware(gate);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    prepare(req);
    middleware(req, res, (error) => {
      if (error) res.writeHead(500).end();
      else {
        res.appendHeader('set-cookie', 'site=1; Path=/');
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`page ${req.url}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('createGateMiddleware (node:http)', () => {
  let gate: PinnedKeyGate;
  let token: string;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    gate = await pinnedKeyGate();
    token = gate.token;
    ({ server, origin } = await site(new WaitroomGate(gate.options)));
  });
  afterAll(() => stop(server));

  it('serves the page to a request with the pass cookie', async () => {
    const response = await fetch(`${origin}/checkout`, { headers: { cookie: `waitroom_pass=${token}` } });
    expect(response.status).toBe(200);
    await expect(response.text()).resolves.toBe('page /checkout');
    expect(response.headers.getSetCookie()).toEqual(['site=1; Path=/']);
  });

  it("sets the pass cookie from the URL beside the site's own cookie, without Secure on http://127.0.0.1", async () => {
    const response = await fetch(`${origin}/checkout?waitroom_token=${token}`);
    expect(response.status).toBe(200);
    const cookies = response.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    expect(cookies[0]).toMatch(
      new RegExp(
        `^waitroom_pass=${token}; HttpOnly; SameSite=Lax; Path=/; Expires=[^;]+ GMT; Max-Age=(599|600)$`,
      ),
    );
    expect(cookies[1]).toBe('site=1; Path=/');
  });

  it('redirects a request without a pass to the waiting page', async () => {
    const response = await fetch(`${origin}/checkout?item=7`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(
      `https://queue.example.com/waitroom/ev-1?return_to=${encodeURIComponent(`${origin}/checkout?item=7`)}`,
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('answers 503 with Retry-After while the key set cannot be fetched', async () => {
    const down = await site(new WaitroomGate({ eventId: 'ev-1', waitroomUrl: 'http://127.0.0.1:1' }));
    try {
      const response = await fetch(`${down.origin}/`, { headers: { cookie: `waitroom_pass=${token}` } });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      await expect(response.text()).resolves.toMatch(/try again/);
    } finally {
      await stop(down.server);
    }
  });

  it('reads Express\'s originalUrl and protocol (app.use("/shop", gate) behind a trusted proxy)', async () => {
    const express = await site(new WaitroomGate({ ...gate.options, waitroomUrl: '' }), (req) => {
      // What Express does before a mounted middleware runs.
      Object.assign(req, { originalUrl: req.url, protocol: 'https' });
      req.url = req.url!.slice('/shop'.length) || '/';
    });
    try {
      const host = new URL(express.origin).host;
      const redirect = await fetch(`${express.origin}/shop/cart?x=1`, { redirect: 'manual' });
      expect(redirect.headers.get('location')).toBe(
        `/waitroom/ev-1?return_to=${encodeURIComponent(`https://${host}/shop/cart?x=1`)}`,
      );
      const pass = await fetch(`${express.origin}/shop/cart?waitroom_token=${token}`);
      expect(pass.status).toBe(200);
      expect(pass.headers.getSetCookie()[0]).toMatch(/; Secure$/);
    } finally {
      await stop(express.server);
    }
  });
});
