import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
  refusalResponse,
  toGate,
  type GateRequest,
  type WaitroomGate,
  type WaitroomGateOptions,
} from '../waitroom-gate';

/**
 * A Connect-style middleware. Typed against node:http, so it serves three ways:
 *   - node:http: `createServer((req, res) => gate(req, res, () => handle(req, res)))`;
 *   - Express (4 and 5): `app.use(gate)` or `app.use('/checkout', gate)`: an Express request is
 *     an IncomingMessage, and Express's `originalUrl` and `protocol` are read when present;
 *   - Nest on either platform: see WaitroomGateMiddleware.
 * `next` is called, without an argument, only when the request holds a pass.
 */
export type NodeGateMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** Request fields Express (and Nest's middleware layer on Fastify) add to an IncomingMessage. */
interface FrameworkFields {
  /** The URL before a mount path was stripped (`app.use('/shop', ...)` leaves `url` = "/..."). */
  originalUrl?: unknown;
  /** Express's protocol: X-Forwarded-Proto when its "trust proxy" setting says so. */
  protocol?: unknown;
}

export function createGateMiddleware(gateOrOptions: WaitroomGate | WaitroomGateOptions): NodeGateMiddleware {
  const gate = toGate(gateOrOptions);
  return (req, res, next) => {
    gate
      .checkRequest(gateRequestOf(req))
      .then((decision) => {
        const refusal = refusalResponse(decision);
        if (refusal === null) {
          // Appended: a cookie another middleware set already stays.
          if (decision.action === 'pass' && decision.setCookie)
            res.appendHeader('set-cookie', decision.setCookie);
          next();
          return;
        }
        res.writeHead(refusal.status, refusal.headers).end(refusal.body);
      })
      .catch(next);
  };
}

export function gateRequestOf(req: IncomingMessage): GateRequest {
  const fields = req as IncomingMessage & FrameworkFields;
  const url = typeof fields.originalUrl === 'string' ? fields.originalUrl : (req.url ?? '/');
  const protocol =
    fields.protocol === 'https' || fields.protocol === 'http'
      ? fields.protocol
      : (req.socket as Partial<TLSSocket>).encrypted
        ? 'https'
        : 'http';
  return { url, host: req.headers.host, protocol, cookieHeader: req.headers.cookie };
}
