import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Histogram } from 'prom-client';

export const HTTP_LABELS = ['method', 'route', 'status_code'] as const;
export type HttpLabel = (typeof HTTP_LABELS)[number];

/** Route label for requests no route matched (scans, typos): one series, not one per URL. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Buckets in seconds. A join is one Redis round trip (about a millisecond), so the low end is fine-grained
 * enough for a p99 to mean something; the high end catches requests stuck behind a slow store.
 */
export const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The route template (`/api/v1/waitroom/sessions/:session_id`), never the URL: session ids are
 * unbounded (a label per id would grow the registry without limit) and they are capabilities,
 * which must not end up in a monitoring system.
 */
export function routeLabel(request: Pick<FastifyRequest, 'is404' | 'routeOptions'>): string {
  if (request.is404) return UNMATCHED_ROUTE;
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}

/**
 * Records one request. It runs on every request, joins at their fastest included: one label
 * object and one prom-client observe, small next to the request itself. Every
 * label is bounded (methods, status codes, route templates), so the series count stays small.
 */
export function recordHttpDuration(
  histogram: Histogram<HttpLabel>,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  // Fastify stamps the start before the onRequest hooks and the end on 'finish'.
  histogram.observe(
    { method: request.method, route: routeLabel(request), status_code: reply.statusCode },
    reply.elapsedTime / 1000,
  );
}
