import { Inject, Injectable, type NestMiddleware, type Provider } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WaitroomGate, type WaitroomGateOptions } from '../waitroom-gate';
import { createGateMiddleware, type NodeGateMiddleware } from './node-http';

/**
 * The gate as Nest middleware, on the Express and the Fastify platform alike (Nest hands
 * middleware node:http requests and responses on both). Give the module a gate, then apply it
 * to the routes to protect:
 *
 *   @Module({ providers: [provideWaitroomGate({ eventId: 'concert-2024', waitroomUrl: 'https://queue.example.com' })] })
 *   export class ShopModule implements NestModule {
 *     configure(consumer: MiddlewareConsumer) {
 *       consumer.apply(WaitroomGateMiddleware).forRoutes('checkout');
 *     }
 *   }
 *
 * Options read from configuration: `{ provide: WaitroomGate, inject: [Config], useFactory: (c) =>
 * new WaitroomGate({...}) }`. Gates of several events in one app: `consumer.apply(createGateMiddleware(gate))`.
 */
@Injectable()
export class WaitroomGateMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly middleware: NodeGateMiddleware;

  constructor(@Inject(WaitroomGate) gate: WaitroomGate) {
    this.middleware = createGateMiddleware(gate);
  }

  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    this.middleware(req, res, next);
  }
}

/** The provider WaitroomGateMiddleware takes its gate from. */
export function provideWaitroomGate(options: WaitroomGateOptions): Provider {
  return { provide: WaitroomGate, useFactory: () => new WaitroomGate(options) };
}
