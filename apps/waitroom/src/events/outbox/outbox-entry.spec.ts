import { entryFields, rangeStartAfter } from './outbox-entry';

const SEPARATOR = '\x1f';
const packed = (...values: string[]) => ['e1', values.join(SEPARATOR)];

describe('entryFields (both outbox entry formats)', () => {
  it('reads a field-value entry as it is', () => {
    expect(entryFields(['k', 'left', 'm', 'm-1', 'at', '5', 's', 'mem', 'u', 'u1', 'r', 'user'])).toEqual({
      k: 'left',
      m: 'm-1',
      at: '5',
      s: 'mem',
      u: 'u1',
      r: 'user',
    });
  });

  it.each([
    ['joined', 'pos', '17'],
    ['left', 'r', 'expired'],
    ['ready', 'eat', '1795800000000'],
  ])('unpacks a packed %s entry to the same record, its own value as %s', (kind, field, value) => {
    expect(
      entryFields(
        packed(kind, 'm-1', '1795700000000', 'mem', '2', '1795600000000', '3.0.1.0.0.0.0', value, 'u1'),
      ),
    ).toEqual({
      k: kind,
      m: 'm-1',
      at: '1795700000000',
      s: 'mem',
      u: 'u1',
      p: '2',
      j: '1795600000000',
      b: '3.0.1.0.0.0.0',
      [field]: value,
    });
  });

  it('keeps a user id that holds the separator or is empty whole (it comes last)', () => {
    const odd = `a${SEPARATOR}b${SEPARATOR}`;
    expect(entryFields(packed('left', 'm', '1', 's', '', '', '', 'user', odd)).u).toBe(odd);
    expect(entryFields(packed('left', 'm', '1', 's', '', '', '', 'user', '')).u).toBe('');
  });

  it('gives a packed entry that does not unpack no known kind, so the relay quarantines it', () => {
    expect(entryFields(packed('joined', 'm', '1')).k).toBe('(a packed entry of 3 values)');
    expect(entryFields(['e1', '']).k).toBe('(a packed entry of 1 values)');
  });

  it('leaves a packed entry of an unknown kind without a value field (the mapping refuses the kind)', () => {
    const fields = entryFields(packed('promoted', 'm', '1', 's', '', '', '', 'x', 'u'));
    expect(fields.k).toBe('promoted');
    expect(Object.keys(fields).sort()).toEqual(['at', 'b', 'j', 'k', 'm', 'p', 's', 'u']);
  });
});

describe('rangeStartAfter', () => {
  it('starts at the oldest entry, or just after a given id', () => {
    expect(rangeStartAfter(null)).toBe('-');
    expect(rangeStartAfter('5-1')).toBe('(5-1');
  });
});
