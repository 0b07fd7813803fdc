import { isoInstantToEpochMs, parseIsoInstant } from './iso-instant';

describe('parseIsoInstant', () => {
  const sut = parseIsoInstant;

  it.each([
    ['2026-01-01T10:00Z', '2026-01-01T10:00:00.000Z'],
    ['2026-01-01T10:00:30Z', '2026-01-01T10:00:30.000Z'],
    ['2026-01-01T10:00:30.5Z', '2026-01-01T10:00:30.500Z'],
    ['2026-01-01T10:00:30.123456789Z', '2026-01-01T10:00:30.123Z'],
    ['2026-01-01T10:00:00+02:00', '2026-01-01T08:00:00.000Z'],
    ['2026-01-01T10:00:00-05:30', '2026-01-01T15:30:00.000Z'],
    ['2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00.000Z'],
    ['2026-01-01T10:00:00-00:00', '2026-01-01T10:00:00.000Z'],
    ['2028-02-29T12:00:00Z', '2028-02-29T12:00:00.000Z'],
    ['2000-02-29T12:00:00Z', '2000-02-29T12:00:00.000Z'],
    ['2026-04-30T23:59:59Z', '2026-04-30T23:59:59.000Z'],
    ['0050-06-01T00:00:00Z', '0050-06-01T00:00:00.000Z'],
  ])('reads %p as %p', (text, iso) => {
    expect(new Date(sut(text) as number).toISOString()).toBe(iso);
  });

  it.each([
    ['week date', '2026-W01'],
    ['week date with day', '2026-W01-1T10:00Z'],
    ['ordinal date', '2026-001T10:00Z'],
    ['basic format date', '20260101'],
    ['basic format date-time', '20260101T100000Z'],
    ['basic format offset', '2026-01-01T10:00:00+0200'],
    ['hour only', '2026-01-01T10Z'],
    ['comma decimal', '2026-01-01T10:00:00,5Z'],
    ['space instead of T', '2026-01-01 10:00Z'],
    ['no offset', '2026-01-01T10:00:00'],
    ['date only', '2026-01-01'],
    ['lower-case t', '2026-01-01t10:00:00Z'],
    ['lower-case z', '2026-01-01T10:00:00z'],
    ['month 13', '2026-13-01T10:00:00Z'],
    ['month 0', '2026-00-01T10:00:00Z'],
    ['day 0', '2026-01-00T10:00:00Z'],
    ['30 February', '2026-02-30T10:00:00Z'],
    ['29 February of a common year', '2026-02-29T10:00:00Z'],
    ['29 February of 1900', '1900-02-29T10:00:00Z'],
    ['31 April', '2026-04-31T10:00:00Z'],
    ['hour 24', '2026-01-01T24:00:00Z'],
    ['minute 60', '2026-01-01T10:60:00Z'],
    ['second 60', '2026-01-01T10:00:60Z'],
    ['offset hour 24', '2026-01-01T10:00:00+24:00'],
    ['offset minute 60', '2026-01-01T10:00:00+01:60'],
    ['empty fraction', '2026-01-01T10:00:00.Z'],
    ['ten fraction digits', '2026-01-01T10:00:00.1234567890Z'],
    ['expanded year', '+02026-01-01T10:00:00Z'],
    ['surrounding space', ' 2026-01-01T10:00:00Z'],
    ['trailing newline', '2026-01-01T10:00:00Z\n'],
    ['non-ASCII digits', '２０２６-01-01T10:00:00Z'],
    ['blank string', ''],
  ])('refuses a %s (%p)', (_name, text) => {
    expect(sut(text)).toBeUndefined();
  });
});

describe('isoInstantToEpochMs', () => {
  it('converts a valid instant', () => {
    expect(isoInstantToEpochMs('1970-01-01T00:00:01Z', 'opens_at')).toBe(1000);
  });

  it('throws VALIDATION_FAILED naming the field instead of returning NaN', () => {
    expect(() => isoInstantToEpochMs('2026-W01', 'opens_at')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: [expect.stringContaining('opens_at')] }),
    );
  });
});
