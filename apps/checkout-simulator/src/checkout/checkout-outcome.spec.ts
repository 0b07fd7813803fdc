import { decideOutcome, FAILURE_REASONS } from './checkout-outcome';

/** A random source that returns the given values in turn. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

describe('decideOutcome', () => {
  const sut = decideOutcome;
  const delay = { minMs: 1000, maxMs: 2000 };

  it('completes when the draw is at or above the failure rate', () => {
    expect(sut(delay, 0.1, sequence(0.5, 0.1))).toEqual({ kind: 'completed', delayMs: 1500 });
  });

  it('fails below the failure rate, with a reason', () => {
    expect(sut(delay, 0.1, sequence(0, 0.09, 0))).toEqual({
      kind: 'failed',
      delayMs: 1000,
      reason: FAILURE_REASONS[0],
    });
    expect(sut(delay, 0.1, sequence(0, 0.09, 0.99))).toMatchObject({ reason: FAILURE_REASONS.at(-1) });
  });

  it('never fails at rate 0 and always fails at rate 1', () => {
    const draws = [0, 0.25, 0.5, 0.75, 0.999999];
    for (const draw of draws) {
      expect(sut(delay, 0, sequence(draw)).kind).toBe('completed');
      expect(sut(delay, 1, sequence(draw)).kind).toBe('failed');
    }
  });

  it('fails at about the configured rate with Math.random', () => {
    let failed = 0;
    for (let i = 0; i < 20000; i++) if (sut(delay, 0.1, Math.random).kind === 'failed') failed++;
    expect(failed / 20000).toBeGreaterThan(0.08);
    expect(failed / 20000).toBeLessThan(0.12);
  });
});
