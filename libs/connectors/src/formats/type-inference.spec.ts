import { classifyString, inferColumns, inferLogicalType, inferValueType } from './type-inference';

describe('inferLogicalType (CSV cells)', () => {
  it.each([
    [['1', '-42', '0'], 'integer'],
    [['1', '3000000000'], 'bigint'],
    [['1', '99999999999999999999'], 'decimal'],
    [['1', '2.5', '-1e3'], 'number'],
    [['1.5', '0.1234567890123456789'], 'decimal'],
    [['true', 'F', 'yes'], 'boolean'],
    [['2024-02-29'], 'date'],
    [['2024-02-30'], 'string'],
    [['2024-01-01', '2024-01-01 10:00:00'], 'timestamp'],
    [['2024-01-01T10:00:00.123Z', '2024-01-01T10:00:00+05:30'], 'timestamptz'],
    [['2024-01-01T10:00:00', '2024-01-01T10:00:00Z'], 'string'],
    [['007', '12'], 'string'],
    [['1', ''], 'string'],
    [['25:00'], 'string'],
    [['2024-01-01T24:00:00'], 'string'],
  ])('%j → %s', (values, type) => {
    expect(inferLogicalType(values).type).toBe(type);
  });

  it('treats null as missing: nullable, and string when nothing else is known', () => {
    expect(inferLogicalType(['1', null, undefined])).toEqual({ type: 'integer', nullable: true });
    expect(inferLogicalType(['1'])).toEqual({ type: 'integer', nullable: false });
    expect(inferLogicalType([null])).toEqual({ type: 'string', nullable: true });
    expect(inferLogicalType([])).toEqual({ type: 'string', nullable: true });
  });

  it('classifies single strings', () => {
    expect(classifyString('+5')).toBe('integer');
    expect(classifyString('.5')).toBe('number');
    expect(classifyString('NaN')).toBe('string');
  });

  it('draws the integer and digit bounds exactly', () => {
    expect(['999999999', '-999999999', '+999999999', '2147483647', '-2147483648'].map(classifyString)).toEqual(
      Array(5).fill('integer'),
    );
    expect(['2147483648', '-2147483649'].map(classifyString)).toEqual(['bigint', 'bigint']);
    // 15 significant digits are a double's; 16 are not.
    expect(['1234567890.12345', '-123456789.012345', '1.23456789012345e5'].map(classifyString)).toEqual(
      Array(3).fill('number'),
    );
    expect(['1234567890.123456', '-1234567890.12345e5'].map(classifyString)).toEqual(['decimal', 'number']);
    expect(classifyString('-1234567890.123456')).toBe('decimal');
  });

  it('keeps a string column a string whatever follows, and still sees a later null', () => {
    expect(inferLogicalType(['a', '1', '2024-01-01', null])).toEqual({ type: 'string', nullable: true });
  });
});

describe('inferValueType (JSON / Parquet values)', () => {
  it.each([
    [[1, 2], 'integer'],
    [[1, 2 ** 40], 'bigint'],
    [[1, 2.5], 'number'],
    [[2 ** 60], 'number'],
    [[true, false], 'boolean'],
    [[{ a: 1 }, [1]], 'json'],
    [['2024-01-01'], 'date'],
    [['42'], 'string'],
    [[new Date()], 'timestamptz'],
    [[new Uint8Array([1])], 'binary'],
    [[1, 'x'], 'string'],
  ])('%j → %s', (values, type) => {
    expect(inferValueType(values).type).toBe(type);
  });
});

describe('inferColumns', () => {
  it('lists columns in order of first appearance, all nullable', () => {
    const columns = inferColumns([
      { a: 1, b: 'x' },
      { c: true, a: 2 },
    ]);
    expect(columns).toEqual([
      { name: 'a', type: 'integer', nullable: true },
      { name: 'b', type: 'string', nullable: true },
      { name: 'c', type: 'boolean', nullable: true },
    ]);
    expect(inferColumns([{ n: '12' }], { stringsAreText: false })).toEqual([
      { name: 'n', type: 'integer', nullable: true },
    ]);
  });
});
