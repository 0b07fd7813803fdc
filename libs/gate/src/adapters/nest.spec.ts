import { Controller, Get, Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { admissionToken } from '../testing/admission-token-fixtures';
import { pinnedKeyGate, type PinnedKeyGate } from '../testing/gate-fixtures';
import { WaitroomGate } from '../waitroom-gate';
import { provideWaitroomGate, WaitroomGateMiddleware } from './nest';

/** Just what the middleware touches of a node:http request and response. */
function exchange(url: string, cookie?: string, ended: () => void = () => undefined) {
  const req = {
    url,
    headers: { host: 'shop.example.com', cookie },
    socket: {},
  } as unknown as IncomingMessage;
  const sent: { status?: number; headers?: Record<string, string>; cookies: string[] } = { cookies: [] };
  const res = {
    appendHeader: (_name: string, value: string) => sent.cookies.push(value),
    writeHead(status: number, headers: Record<string, string>) {
      Object.assign(sent, { status, headers });
      return { end: ended };
    },
  } as unknown as ServerResponse;
  return { req, res, sent };
}

describe('WaitroomGateMiddleware (Nest)', () => {
  let token: string;
  let sut: WaitroomGateMiddleware;

  beforeAll(async () => {
    const gate = await pinnedKeyGate();
    token = gate.token;
    sut = new WaitroomGateMiddleware(new WaitroomGate(gate.options));
  });

  /** Resolves when the middleware calls next or ends the response. */
  const run = (url: string, cookie?: string) =>
    new Promise<{ next: boolean; sent: ReturnType<typeof exchange>['sent'] }>((resolve) => {
      const { req, res, sent } = exchange(url, cookie, () => resolve({ next: false, sent }));
      sut.use(req, res, () => resolve({ next: true, sent }));
    });

  it('calls next for a request with the pass cookie', async () => {
    await expect(run('/checkout', `waitroom_pass=${token}`)).resolves.toEqual({
      next: true,
      sent: { cookies: [] },
    });
  });

  it('calls next and sets the pass cookie for a token in the URL', async () => {
    const { next, sent } = await run(`/checkout?waitroom_token=${token}`);
    expect(next).toBe(true);
    expect(sent.cookies).toEqual([expect.stringMatching(/^waitroom_pass=.*; Secure$/)]);
  });

  it('redirects a request without a pass', async () => {
    const { next, sent } = await run('/checkout');
    expect(next).toBe(false);
    expect(sent).toMatchObject({
      status: 302,
      headers: {
        location: `https://queue.example.com/waitroom/ev-1?return_to=${encodeURIComponent('http://shop.example.com/checkout')}`,
      },
    });
  });
});

describe('WaitroomGateMiddleware in a Nest app on Fastify', () => {
  @Controller()
  class ShopController {
    @Get('checkout')
    checkout() {
      return { page: 'checkout' };
    }
    @Get('home')
    home() {
      return { page: 'home' };
    }
  }

  let gate: PinnedKeyGate;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    gate = await pinnedKeyGate();
    @Module({
      controllers: [ShopController],
      providers: [provideWaitroomGate({ ...gate.options, waitroomUrl: '' })],
    })
    class ShopModule implements NestModule {
      configure(consumer: MiddlewareConsumer) {
        consumer.apply(WaitroomGateMiddleware).forRoutes('checkout');
      }
    }
    const moduleRef = await Test.createTestingModule({ imports: [ShopModule] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  it('guards the routes it is applied to, and only those', async () => {
    const fastify = app.getHttpAdapter().getInstance();
    const refused = await fastify.inject({ url: '/checkout?a=1', headers: { host: 'localhost:3000' } });
    expect(refused.statusCode).toBe(302);
    expect(refused.headers.location).toBe(
      `/waitroom/ev-1?return_to=${encodeURIComponent('http://localhost:3000/checkout?a=1')}`,
    );
    const passed = await fastify.inject({
      url: `/checkout?waitroom_token=${await admissionToken(gate.key)}`,
      headers: { host: 'localhost:3000' },
    });
    expect(passed.statusCode).toBe(200);
    expect(passed.json()).toEqual({ page: 'checkout' });
    expect(passed.headers['set-cookie']).toMatch(/^waitroom_pass=.*Max-Age=\d+$/);
    expect((await fastify.inject({ url: '/home' })).statusCode).toBe(200);
  });
});
