import { nextStreamId } from './outbox.repository';

describe('nextStreamId (the XTRIM MINID bound just above a published batch)', () => {
  it('increments the sequence within the same millisecond', () => {
    expect(nextStreamId('1764200000000-0')).toBe('1764200000000-1');
    expect(nextStreamId('1764200000000-41')).toBe('1764200000000-42');
  });

  it('keeps 64-bit sequences exact (no float rounding)', () => {
    expect(nextStreamId('5-9007199254740993')).toBe('5-9007199254740994');
  });

  it('rolls over to the next millisecond after the largest sequence', () => {
    expect(nextStreamId('5-18446744073709551615')).toBe('6-0');
  });
});
