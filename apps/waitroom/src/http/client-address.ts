import { all as forwardedAddresses } from '@fastify/proxy-addr';
import type { IncomingMessage } from 'node:http';
import type { Environment } from '../config/environment';

/** Which hops of X-Forwarded-For are trusted proxies: exactly TRUST_PROXY_HOPS, nearest first. */
export type ProxyTrust = ((address: string, hop: number) => boolean) | false;

/** Fastify's trustProxy option: hop 0 is the nearest proxy; none is trusted when the count is 0. */
export function proxyTrust(env: Environment): ProxyTrust {
  const hops = env.TRUST_PROXY_HOPS;
  return hops > 0 ? (_address: string, hop: number) => hop < hops : false;
}

/**
 * The caller's address as Fastify's request.ip gives it with the same trust (the same
 * @fastify/proxy-addr walk), for requests answered before Fastify sees them (join-fast-lane.ts).
 */
export function clientAddress(request: IncomingMessage, trust: ProxyTrust): string | undefined {
  if (trust === false) return request.socket.remoteAddress;
  const addresses = forwardedAddresses(request, trust);
  return addresses[addresses.length - 1];
}
