/**
 * Epoch milliseconds to ISO-8601 UTC, the contract's time format. Consecutive calls often
 * format the same millisecond (a relay batch under load holds several entries per millisecond),
 * so the last conversion is remembered: Date formatting was a visible share of the relay's CPU
 * (docs/benchmarks.md).
 */
let lastMs = Number.NaN;
let lastText = '';

export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastText = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastText;
}

/** The same for optional times: null stays null. */
export function isoTimeOrNull(ms: number | null): string | null {
  return ms === null ? null : isoTime(ms);
}
