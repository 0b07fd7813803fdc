/** How long a simulated checkout takes: a uniform draw in [minMs, maxMs]. */
export interface DelayRange {
  minMs: number;
  maxMs: number;
}

/** Longest delay accepted: a checkout window is minutes; an hour is already a mistake. */
const MAX_CHECKOUT_DELAY_MS = 3_600_000;

/**
 * Reads CHECKOUT_DELAY_MS: `2000-8000` (a range, both ends included) or `500` (always that long).
 * Returns null for anything else, including a range whose ends are reversed.
 */
export function parseDelayRange(text: string): DelayRange | null {
  const match = /^\s*(\d{1,7})\s*(?:-\s*(\d{1,7})\s*)?$/.exec(text);
  if (!match) return null;
  const minMs = Number(match[1]);
  const maxMs = match[2] === undefined ? minMs : Number(match[2]);
  if (minMs > maxMs || maxMs > MAX_CHECKOUT_DELAY_MS) return null;
  return { minMs, maxMs };
}

/** A whole number of milliseconds in [minMs, maxMs]; `random` returns [0, 1) like Math.random. */
export function drawDelay(range: DelayRange, random: () => number): number {
  const span = range.maxMs - range.minMs + 1;
  return Math.min(range.maxMs, range.minMs + Math.floor(random() * span));
}
