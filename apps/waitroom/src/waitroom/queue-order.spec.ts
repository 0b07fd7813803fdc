import { ARRIVAL_OFFSET, arrivalScore, PRIORITY_BAND, preOpenScore } from './queue-order';

describe('queue order', () => {
  it('serves higher priority first, whatever the arrival order', () => {
    expect(arrivalScore(9, 1_000_000)).toBeLessThan(arrivalScore(8, 1));
    expect(arrivalScore(1, 10 ** 12)).toBeLessThan(arrivalScore(0, 1));
  });

  it('keeps strict arrival order within a priority, one sequence number apart', () => {
    expect(arrivalScore(0, 41)).toBeLessThan(arrivalScore(0, 42));
    expect(arrivalScore(0, 42) - arrivalScore(0, 41)).toBe(1);
  });

  it('places a shuffled pre-queue ahead of later arrivals of the same priority only', () => {
    const maxDraw = ARRIVAL_OFFSET - 1;
    expect(preOpenScore(0, maxDraw)).toBeLessThan(arrivalScore(0, 1));
    expect(arrivalScore(1, 5)).toBeLessThan(preOpenScore(0, 0));
  });

  it('stays exact in doubles at the largest sequence a band can hold', () => {
    const largest = arrivalScore(0, PRIORITY_BAND - ARRIVAL_OFFSET - 1);
    expect(Number.isSafeInteger(largest)).toBe(true);
    expect(largest + 1).not.toBe(largest);
  });
});
