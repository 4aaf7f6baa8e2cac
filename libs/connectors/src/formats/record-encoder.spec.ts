import type { LogicalType } from '@aoe/contracts';
import type { Value } from '../connector';
import { physicalName, toCsvCell, toParquetValue } from './record-encoder';

describe('toParquetValue casts what CSV sources leave as text', () => {
  it.each<[LogicalType, Value, unknown]>([
    ['integer', '42', 42],
    ['integer', 7, 7],
    ['bigint', '9007199254740993', 9007199254740993n],
    ['bigint', 3, 3n],
    ['number', '2.5', 2.5],
    ['number', 'NaN', NaN],
    ['boolean', 'yes', true],
    ['boolean', '0', false],
    ['boolean', true, true],
    ['string', 12, '12'],
    ['decimal', '1.10', '1.10'],
    ['json', '{"a":1}', { a: 1 }],
    ['json', 'plain text', 'plain text'],
    ['json', [1], [1]],
  ])('%s %j', (type, value, expected) => {
    expect(toParquetValue(value, type)).toEqual(expected);
  });

  it('casts dates and timestamps, reading a timestamp without offset as UTC', () => {
    expect(toParquetValue('2024-03-01', 'date')).toEqual(new Date('2024-03-01T00:00:00Z'));
    expect(toParquetValue(new Date('2024-03-01T15:00:00Z'), 'date')).toEqual(new Date('2024-03-01T00:00:00Z'));
    expect(toParquetValue('2024-03-01 10:00:00', 'timestamp')).toEqual(new Date('2024-03-01T10:00:00Z'));
    expect(toParquetValue('2024-03-01T10:00:00+02:00', 'timestamptz')).toEqual(new Date('2024-03-01T08:00:00Z'));
    expect(toParquetValue(0, 'timestamptz')).toEqual(new Date(0));
    expect(toParquetValue(new Uint8Array([104, 105]), 'binary')).toEqual(Buffer.from('hi'));
    expect(toParquetValue('hi', 'binary')).toEqual(Buffer.from('hi'));
    expect(toParquetValue(null, 'integer')).toBeNull();
  });

  it.each([
    ['integer', '1.5'],
    ['integer', '3000000000'],
    ['bigint', 'x'],
    ['number', ''],
    ['boolean', 'maybe'],
    ['date', 'not a date'],
    ['timestamp', 'soon'],
  ] as const)('refuses %s %j', (type, value) => {
    expect(() => toParquetValue(value, type)).toThrow(/^not a/);
  });
});

describe('toCsvCell / physicalName', () => {
  it('writes values as text', () => {
    expect(toCsvCell(null, 'string')).toBeNull();
    expect(toCsvCell(new Date('2024-01-02T03:04:05Z'), 'date')).toBe('2024-01-02');
    expect(toCsvCell(new Date('2024-01-02T03:04:05Z'), 'timestamptz')).toBe('2024-01-02T03:04:05.000Z');
    expect(toCsvCell(new Uint8Array([255]), 'binary')).toBe('/w==');
    expect(toCsvCell({ a: [1] }, 'json')).toBe('{"a":[1]}');
  });

  it('encodes commas (and percent signs) only in names that have a comma', () => {
    expect(physicalName('a,b%')).toBe('a%2Cb%25');
    expect(physicalName('50%')).toBe('50%');
  });
});
