import { InvalidInputError } from './domain-error';

/**
 * The one ISO-8601 rule for instants the service accepts (opens_at): the extended-format
 * date-time of RFC 3339, `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by `Z` or `±HH:MM`.
 * Everything else is refused rather than guessed: week and ordinal dates, the basic format,
 * a missing offset (which Date.parse reads in the server's time zone), comma decimals, and
 * fields out of range (month 13, 30 February, hour 24). Date.parse alone accepts some of
 * these and returns NaN for others, which then reached Redis.
 */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

export const ISO_INSTANT_DESCRIPTION =
  'an ISO-8601 date-time with an offset, YYYY-MM-DDTHH:MM[:SS[.fraction]] then Z or ±HH:MM';

/** Epoch milliseconds of an instant in the rule above (sub-millisecond digits truncated), or undefined. */
export function parseIsoInstant(text: string): number | undefined {
  const match = ISO_INSTANT.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number);
  const second = match[6] === undefined ? 0 : Number(match[6]);
  const millisecond = match[7] === undefined ? 0 : Number(match[7].slice(0, 3).padEnd(3, '0'));
  const offsetSign = match[9] === '-' ? -1 : 1;
  const offsetHours = match[10] === undefined ? 0 : Number(match[10]);
  const offsetMinutes = match[11] === undefined ? 0 : Number(match[11]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millisecond);
  return date.getTime() - offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

/**
 * The same rule where a validated value becomes a number: a value that slipped past validation
 * is a 400 naming the field, never NaN in the store.
 */
export function isoInstantToEpochMs(text: string, field: string): number {
  const epochMs = parseIsoInstant(text);
  if (epochMs === undefined) {
    throw new InvalidInputError([`${field} must be ${ISO_INSTANT_DESCRIPTION}`]);
  }
  return epochMs;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
