import { drawDelay, parseDelayRange } from './checkout-delay';

describe('parseDelayRange', () => {
  it.each([
    ['2000-8000', { minMs: 2000, maxMs: 8000 }],
    [' 100 - 300 ', { minMs: 100, maxMs: 300 }],
    ['500', { minMs: 500, maxMs: 500 }],
    ['0', { minMs: 0, maxMs: 0 }],
    ['7-7', { minMs: 7, maxMs: 7 }],
  ])('reads %p', (text, expected) => {
    expect(parseDelayRange(text)).toEqual(expected);
  });

  it.each(['', 'fast', '8000-2000', '-5', '1.5', '100-', '1-2-3', '3600001', '10e3'])(
    'refuses %p',
    (text) => {
      expect(parseDelayRange(text)).toBeNull();
    },
  );
});

describe('drawDelay', () => {
  const sut = drawDelay;

  it('spans the whole range, both ends included', () => {
    expect(sut({ minMs: 100, maxMs: 300 }, () => 0)).toBe(100);
    expect(sut({ minMs: 100, maxMs: 300 }, () => 0.5)).toBe(200);
    expect(sut({ minMs: 100, maxMs: 300 }, () => 0.999999)).toBe(300);
  });

  it('is the number itself for a single value', () => {
    expect(sut({ minMs: 500, maxMs: 500 }, () => 0.7)).toBe(500);
  });
});
