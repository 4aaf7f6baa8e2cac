import { describeValue, hasNullIn, isoDate, jsonSafe, keyOf, numericValue, parseTimestamp, textOf } from './values';

describe('values', () => {
  it('reads numbers from numbers and numeric text only', () => {
    expect(numericValue(3)).toBe(3);
    expect(numericValue(' -1.5e2 ')).toBe(-150);
    expect(numericValue('1.2.3')).toBeUndefined();
    expect(numericValue('')).toBeUndefined();
    expect(numericValue(true)).toBeUndefined();
    expect(numericValue(undefined)).toBeUndefined();
  });

  it('renders text and short descriptions', () => {
    expect(textOf(null)).toBe('');
    expect(textOf([1, 'a'])).toBe('[1,"a"]');
    expect(textOf(new Date(NaN))).toBe('Invalid Date');
    expect(describeValue(undefined)).toBe('null');
    expect(describeValue("it's")).toBe("'it''s'");
    expect(describeValue('x'.repeat(100))).toHaveLength(62);
    expect(describeValue({ long: 'y'.repeat(100) })).toMatch(/\.\.\.$/);
    expect(describeValue(12)).toBe('12');
  });

  it('builds unambiguous keys', () => {
    expect(keyOf({ a: 'x' }, ['a'])).not.toBe(keyOf({ a: 1 }, ['a']));
    expect(keyOf({ a: true, b: false }, ['a', 'b'])).toBe('t;f;');
    expect(keyOf({ a: null }, ['a'])).toBe(keyOf({}, ['a']));
    expect(keyOf({ a: { x: 1 } }, ['a'])).toBe('o7:{"x":1};');
    expect(hasNullIn({ a: 1, b: null }, ['a', 'b'])).toBe(true);
    expect(hasNullIn({ a: 1, b: 2 }, ['a', 'b'])).toBe(false);
  });

  it('makes rows JSON-safe for jsonb', () => {
    expect(
      jsonSafe({
        s: 'a\u0000b',
        n: NaN,
        i: Infinity,
        d: new Date('2024-01-01T00:00:00Z'),
        bad: new Date(NaN),
        b: new Uint8Array([1]),
        big: 10n,
        list: [undefined, true],
        nested: { k: 'v' },
        f: () => 1,
      }),
    ).toEqual({
      s: 'a\\u0000b',
      n: 'NaN',
      i: 'Infinity',
      d: '2024-01-01T00:00:00.000Z',
      bad: null,
      b: '\\x01',
      big: '10',
      list: [null, true],
      nested: { k: 'v' },
      f: '() => 1',
    });
  });

  it('parses ISO dates and timestamps, strictly', () => {
    expect(parseTimestamp('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseTimestamp('2024-02-29T10:11:12.5Z')?.toISOString()).toBe('2024-02-29T10:11:12.500Z');
    expect(parseTimestamp('2024-02-29 10:11-0130')?.toISOString()).toBe('2024-02-29T11:41:00.000Z');
    expect(parseTimestamp('2024-02-29T10:11:12+05')?.toISOString()).toBe('2024-02-29T05:11:12.000Z');
    expect(parseTimestamp('2023-02-29')).toBeUndefined();
    expect(parseTimestamp('2023-00-10')).toBeUndefined();
    expect(parseTimestamp('2023-01-01T25:00:00')).toBeUndefined();
    expect(parseTimestamp('yesterday')).toBeUndefined();
    expect(isoDate(new Date('2024-05-06T23:00:00Z'))).toBe('2024-05-06');
  });
});
