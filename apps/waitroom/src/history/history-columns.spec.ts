import { perMinute, toHistoryColumns } from './history-columns';
import type { HistorySample } from './history.scripts';

const sample = (atMs: number, totals: Partial<HistorySample> = {}): HistorySample => ({
  atMs,
  queueLength: 0,
  activeCount: 0,
  joinedTotal: 0,
  admittedTotal: 0,
  completedTotal: 0,
  failedTotal: 0,
  expiredTotal: 0,
  leftTotal: 0,
  abandonedTotal: 0,
  ...totals,
});

describe('perMinute', () => {
  it('scales the growth of a total to a minute, to one decimal', () => {
    expect(perMinute(100, 110, 5_000)).toBe(120);
    expect(perMinute(0, 1, 7_000)).toBe(8.6);
    expect(perMinute(5, 5, 5_000)).toBe(0);
    expect(perMinute(0, 3, 500)).toBe(360);
  });

  it('is null when no time passed or the total went down', () => {
    expect(perMinute(1, 2, 0)).toBeNull();
    expect(perMinute(1, 2, -5)).toBeNull();
    expect(perMinute(10, 9, 5_000)).toBeNull();
  });
});

describe('toHistoryColumns', () => {
  it('gives one column per series, times in epoch seconds, rates from consecutive samples', () => {
    const sut = toHistoryColumns(null, [
      sample(1_767_225_600_000, { queueLength: 10, activeCount: 2, joinedTotal: 12, admittedTotal: 2 }),
      sample(1_767_225_605_000, { queueLength: 15, activeCount: 3, joinedTotal: 22, admittedTotal: 4 }),
      sample(1_767_225_610_500, {
        queueLength: 14,
        activeCount: 2,
        joinedTotal: 22,
        admittedTotal: 5,
        completedTotal: 2,
      }),
    ]);
    expect(sut).toEqual({
      t: [1_767_225_600, 1_767_225_605, 1_767_225_610.5],
      queue_length: [10, 15, 14],
      active_count: [2, 3, 2],
      joins_per_minute: [null, 120, 0],
      admissions_per_minute: [null, 24, 10.9],
      completions_per_minute: [null, 0, 21.8],
    });
  });

  it('measures the first sample from the one before it, without returning that one', () => {
    const sut = toHistoryColumns(sample(1_000, { joinedTotal: 4, completedTotal: 1 }), [
      sample(6_000, { joinedTotal: 9, completedTotal: 1 }),
    ]);
    expect(sut.t).toEqual([6]);
    expect(sut.joins_per_minute).toEqual([60]);
    expect(sut.completions_per_minute).toEqual([0]);
  });

  it('averages a rate over a gap (an event without work is not sampled)', () => {
    const sut = toHistoryColumns(null, [sample(0, { joinedTotal: 0 }), sample(60_000, { joinedTotal: 30 })]);
    expect(sut.joins_per_minute).toEqual([null, 30]);
  });

  it('is empty columns for no samples', () => {
    const sut = toHistoryColumns(sample(0), []);
    expect(Object.keys(sut).sort()).toEqual([
      'active_count',
      'admissions_per_minute',
      'completions_per_minute',
      'joins_per_minute',
      'queue_length',
      't',
    ]);
    for (const column of Object.values(sut)) expect(column).toEqual([]);
  });
});
