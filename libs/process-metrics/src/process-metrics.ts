import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's default gauges whose names end in `_total`, which Prometheus reserves for counters
 * (`promtool check metrics`: "non-counter metrics should not have _total suffix"). Each is the sum
 * over `type` of the gauge of the same name without the suffix (`nodejs_active_handles` etc.), so
 * leaving them out loses nothing: `sum without (type) (<prefix>nodejs_active_handles)` is the same
 * number.
 */
export const DEFAULT_GAUGES_LEFT_OUT = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/** prom-client's default process and Node.js metrics under `prefix`, minus {@link DEFAULT_GAUGES_LEFT_OUT}. */
export function collectProcessMetrics(registry: Registry, prefix: string): void {
  collectDefaultMetrics({ register: registry, prefix });
  for (const name of DEFAULT_GAUGES_LEFT_OUT) registry.removeSingleMetric(`${prefix}${name}`);
}
