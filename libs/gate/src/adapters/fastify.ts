import type { IncomingHttpHeaders } from 'node:http';
import { refusalResponse, toGate, type WaitroomGate, type WaitroomGateOptions } from '../waitroom-gate';

/**
 * The parts of a Fastify request the gate reads. Structural, so the hook fits Fastify 4 and 5
 * without tying the library to one: `protocol` and `host` follow Fastify's `trustProxy` setting.
 */
export interface FastifyRequestLike {
  url: string;
  protocol: 'http' | 'https';
  /** Fastify 5: the Host with its port. */
  host?: string;
  /** Fastify 4: the Host with its port; Fastify 5: without it. */
  hostname: string;
  headers: IncomingHttpHeaders;
}

/** The parts of a Fastify reply the gate uses. */
export interface FastifyReplyLike {
  code(statusCode: number): unknown;
  header(name: string, value: string): unknown;
  send(payload?: string): unknown;
}

export type FastifyGateHook = (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<void>;

/**
 * An `onRequest` hook: `app.addHook('onRequest', createGateFastifyHook({...}))`, or inside a
 * plugin for the routes it should protect. A refused request is answered here (Fastify then
 * stops the chain, since the reply is sent before the hook's promise resolves); a pass from the
 * URL adds its Set-Cookie to the reply the route sends.
 */
export function createGateFastifyHook(gateOrOptions: WaitroomGate | WaitroomGateOptions): FastifyGateHook {
  const gate = toGate(gateOrOptions);
  return async (request, reply) => {
    const decision = await gate.checkRequest({
      url: request.url,
      host: request.host ?? request.hostname,
      protocol: request.protocol,
      cookieHeader: request.headers.cookie,
    });
    const refusal = refusalResponse(decision);
    if (refusal === null) {
      // Fastify keeps every set-cookie value given to header(), not only the last.
      if (decision.action === 'pass' && decision.setCookie) reply.header('set-cookie', decision.setCookie);
      return;
    }
    reply.code(refusal.status);
    for (const [name, value] of Object.entries(refusal.headers)) reply.header(name, value);
    reply.send(refusal.body);
  };
}
