import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Security headers for a JSON API, fixed at start-up. @fastify/helmet set the same headers but
 * rebuilt its middleware (CSP parsing included) on every request, a visible share of a join's CPU
 * in the join benchmark's profile (docs/benchmarks.md); these values never change, so they are
 * computed once.
 */
const API_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-frame-options': 'DENY',
};

/** The OpenAPI UI is an HTML page with inline scripts and styles of its own. */
const DOCS_HEADERS: Readonly<Record<string, string>> = {
  ...API_HEADERS,
  'content-security-policy':
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
};

/**
 * Pages for people (src/pages) and their bundles: scripts and styles from this origin only, never
 * inline (data reaches a page as a JSON script element), fetch/EventSource to this origin only.
 */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  ...API_HEADERS,
  'content-security-policy': pageContentSecurityPolicy(),
};

/**
 * The pages' CSP; `imageOrigin` adds exactly one more origin for images (an event's logo_url,
 * an https origin as URL.origin spells it). A page that sets its own CSP keeps it (onSend below).
 */
export function pageContentSecurityPolicy(imageOrigin: string | null = null): string {
  const images = imageOrigin ? `'self' data: ${imageOrigin}` : "'self' data:";
  return `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src ${images}; worker-src 'self' blob:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
}

const HEADERS_AHEAD_KEY = 'waitroomHeadersAhead';
/** Route config (`@RouteConfig(HEADERS_AHEAD)`) of a route whose answer skips onSend: server-sent events. */
export const HEADERS_AHEAD = { [HEADERS_AHEAD_KEY]: true } as const;

/** The HTML pages and /assets/ (everything else is the JSON API). */
const PAGE_PATH = /^\/(?:waitroom|assets|admin\/dashboard)(?:[/?]|$)/;

/**
 * Every response gets the security headers and names its request id (the caller's x-request-id,
 * or a new one), which error logs carry too.
 */
export function addResponseHeaders(fastify: FastifyInstance, docsPrefix: string): void {
  // A server-sent event stream is written without the onSend hook: Nest writes its head itself,
  // with the headers set on the reply before the route runs. Such routes are marked
  // HEADERS_AHEAD and get the same headers when the request arrives.
  fastify.addHook('onRequest', (request, reply, done) => {
    const config = request.routeOptions.config as Partial<typeof HEADERS_AHEAD> | undefined;
    if (config?.[HEADERS_AHEAD_KEY]) {
      void reply.headers(API_HEADERS);
      void reply.header('x-request-id', request.id);
    }
    done();
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const url = request.url;
    const page = !url.startsWith(docsPrefix) && PAGE_PATH.test(url);
    // A page's own CSP (pageContentSecurityPolicy with its logo's origin) stays.
    const own = page ? reply.getHeader('content-security-policy') : undefined;
    void reply.headers(url.startsWith(docsPrefix) ? DOCS_HEADERS : page ? PAGE_HEADERS : API_HEADERS);
    if (typeof own === 'string') void reply.header('content-security-policy', own);
    void reply.header('x-request-id', request.id);
    done(null, payload);
  });
}

/** The security headers of an API answer, as writeHead takes them (the gate's 204 has no body, no type). */
export const API_ANSWER_HEADERS: readonly string[] = Object.entries(API_HEADERS).flat();

/** What Fastify sends with a JSON API answer besides its length and request id, as writeHead takes it. */
const JSON_ANSWER_HEADERS = [
  ...Object.entries(API_HEADERS),
  ['content-type', 'application/json; charset=utf-8'],
].flat();

/** The request id as Fastify assigns it (bootstrap.ts): the caller's x-request-id, or a new one. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && given !== '' ? given : randomUUID();
}

/**
 * Sends a JSON answer with the headers an API route's answer gets from Fastify and the hook
 * above, for the requests answered before Fastify sees them (the fast lanes in waitroom/).
 * `extra`: further headers as name, value pairs (Retry-After).
 */
export function sendJsonAnswer(
  response: ServerResponse,
  status: number,
  body: string,
  requestId: string,
  extra: string[] = [],
): void {
  response.writeHead(status, [
    ...JSON_ANSWER_HEADERS,
    'content-length',
    String(Buffer.byteLength(body)),
    'x-request-id',
    requestId,
    ...extra,
  ]);
  response.end(body);
}
