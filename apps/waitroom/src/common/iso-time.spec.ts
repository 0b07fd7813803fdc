import { isoTime, isoTimeOrNull } from './iso-time';

describe('isoTime', () => {
  it('formats epoch milliseconds as ISO-8601 UTC, also when the same value repeats', () => {
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoTime(1764201600123)).toBe('2025-11-27T00:00:00.123Z');
    expect(isoTime(1764201600123)).toBe('2025-11-27T00:00:00.123Z');
    expect(isoTime(1764201600124)).toBe('2025-11-27T00:00:00.124Z');
  });

  it('keeps null as null', () => {
    expect(isoTimeOrNull(null)).toBeNull();
    expect(isoTimeOrNull(0)).toBe('1970-01-01T00:00:00.000Z');
  });
});
