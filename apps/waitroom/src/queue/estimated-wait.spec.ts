import { estimatedWaitSeconds } from './estimated-wait';

describe('estimatedWaitSeconds', () => {
  it('divides the position by the admission rate, rounding up', () => {
    expect(estimatedWaitSeconds(10, 2, true)).toBe(5);
    expect(estimatedWaitSeconds(11, 2, true)).toBe(6);
    expect(estimatedWaitSeconds(1, 1000, true)).toBe(1);
  });

  it('is unknown without a rate, with a zero rate, or while the queue is held', () => {
    expect(estimatedWaitSeconds(10, null, true)).toBeNull();
    expect(estimatedWaitSeconds(10, 0, true)).toBeNull();
    expect(estimatedWaitSeconds(10, 5, false)).toBeNull();
    expect(estimatedWaitSeconds(null, 5, true)).toBeNull();
  });
});
