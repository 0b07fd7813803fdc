import { leftReasonOf } from './session';

describe('leftReasonOf', () => {
  it('is null for every status but left and abandoned', () => {
    for (const status of ['queued', 'ready', 'completed', 'failed', 'expired'] as const)
      expect(leftReasonOf(status, 'sold_out')).toBeNull();
  });

  it('says abandoned for an abandoned session', () => {
    expect(leftReasonOf('abandoned', null)).toBe('abandoned');
  });

  it('takes what sold-out and removal stored, else the person left', () => {
    expect(leftReasonOf('left', 'sold_out')).toBe('sold_out');
    expect(leftReasonOf('left', 'removed')).toBe('removed');
    expect(leftReasonOf('left', null)).toBe('user');
    expect(leftReasonOf('left', '')).toBe('user');
    expect(leftReasonOf('left', 'something-else')).toBe('user');
  });
});
