import type { HistoryColumns } from '@waitroom/contracts';
import type { HistorySample } from './history.scripts';

/**
 * How fast a running total grew between two samples, per minute, to one decimal. Null when it
 * cannot be told: no time passed, or the total went down (it never does, unless the event was
 * removed and created again between the two samples).
 */
export function perMinute(before: number, after: number, elapsedMs: number): number | null {
  if (!(elapsedMs > 0) || after < before) return null;
  return Math.round(((after - before) * 60_000 * 10) / elapsedMs) / 10;
}

/**
 * Turns samples (ascending) into columns. `previous` is the sample just before the first one,
 * if any: the first sample's rates are measured from it, and it is not itself returned. A rate
 * spans whatever time separates two samples, so across a gap (an event without work is not
 * sampled) it is the average over the gap.
 */
export function toHistoryColumns(previous: HistorySample | null, samples: HistorySample[]): HistoryColumns {
  const columns: HistoryColumns = {
    t: [],
    queue_length: [],
    active_count: [],
    joins_per_minute: [],
    admissions_per_minute: [],
    completions_per_minute: [],
  };
  let before = previous;
  for (const sample of samples) {
    columns.t.push(sample.atMs / 1000);
    columns.queue_length.push(sample.queueLength);
    columns.active_count.push(sample.activeCount);
    const rate = (total: (s: HistorySample) => number) =>
      before === null ? null : perMinute(total(before), total(sample), sample.atMs - before.atMs);
    columns.joins_per_minute.push(rate((s) => s.joinedTotal));
    columns.admissions_per_minute.push(rate((s) => s.admittedTotal));
    columns.completions_per_minute.push(rate((s) => s.completedTotal));
    before = sample;
  }
  return columns;
}
