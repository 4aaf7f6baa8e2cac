import type { LogicalType } from '@aoe/contracts';
import type { Value } from '@aoe/connectors';
import { CastError } from '../errors';
import { castValue } from './cast';

describe('castValue', () => {
  it('keeps null null for every type', () => {
    const types: LogicalType[] = [
      'string',
      'integer',
      'bigint',
      'number',
      'decimal',
      'boolean',
      'date',
      'timestamp',
      'timestamptz',
      'json',
      'binary',
    ];
    for (const type of types) expect(castValue(null, type)).toBeNull();
  });

  it.each<[Value, LogicalType, Value]>([
    [42, 'string', '42'],
    [true, 'string', 'true'],
    [new Date('2024-01-02T03:04:05Z'), 'string', '2024-01-02T03:04:05.000Z'],
    [new Uint8Array([1, 255]), 'string', '\\x01ff'],
    [{ a: 1 }, 'string', '{"a":1}'],
    [' 42 ', 'integer', 42],
    ['-7', 'integer', -7],
    ['12.0', 'integer', 12],
    [12, 'integer', 12],
    [true, 'integer', 1],
    ['9007199254740993', 'bigint', '9007199254740993'],
    ['-12', 'bigint', -12],
    [123, 'bigint', 123],
    ['1.5e3', 'number', 1500],
    [' .5 ', 'number', 0.5],
    [false, 'number', 0],
    [3.25, 'number', 3.25],
    ['+012.50', 'decimal', '012.50'],
    ['.5', 'decimal', '0.5'],
    ['-.5', 'decimal', '-0.5'],
    ['5.', 'decimal', '5'],
    ['1e2', 'decimal', '100'],
    [0.1, 'decimal', '0.1'],
    ['yes', 'boolean', true],
    [' F ', 'boolean', false],
    [1, 'boolean', true],
    [0, 'boolean', false],
    [true, 'boolean', true],
    ['2024-02-29', 'date', '2024-02-29'],
    ['2024-02-29T23:30:00-02:00', 'date', '2024-03-01'],
    [new Date('2024-05-01T10:00:00Z'), 'date', '2024-05-01'],
    ['{"a":[1,2]}', 'json', { a: [1, 2] }],
    ['42', 'json', 42],
    [{ a: 1 }, 'json', { a: 1 }],
    [7, 'json', 7],
    [new Date('2024-05-01T10:00:00Z'), 'json', '2024-05-01T10:00:00.000Z'],
    [new Uint8Array([10]), 'json', '\\x0a'],
  ])('casts %p to %s', (value, type, expected) => {
    expect(castValue(value, type)).toEqual(expected);
  });

  it('reads timestamps as ISO 8601, UTC unless an offset says otherwise, and numbers as epoch seconds', () => {
    expect(castValue('2024-05-01 10:00:00', 'timestamp')).toEqual(new Date('2024-05-01T10:00:00Z'));
    expect(castValue('2024-05-01T10:00:00.123456+02:00', 'timestamptz')).toEqual(new Date('2024-05-01T08:00:00.123Z'));
    expect(castValue('2024-05-01', 'timestamptz')).toEqual(new Date('2024-05-01T00:00:00Z'));
    expect(castValue('0099-01-01', 'timestamptz')).toEqual(new Date('0099-01-01T00:00:00Z'));
    expect(castValue(1714557600, 'timestamptz')).toEqual(new Date('2024-05-01T10:00:00Z'));
    const d = new Date('2024-05-01T10:00:00Z');
    expect(castValue(d, 'timestamp')).toBe(d);
  });

  it('decodes binary from \\x hex, else UTF-8', () => {
    expect(castValue('\\x00ff', 'binary')).toEqual(new Uint8Array([0, 255]));
    expect(castValue('hé', 'binary')).toEqual(new Uint8Array([104, 195, 169]));
    const bytes = new Uint8Array([1]);
    expect(castValue(bytes, 'binary')).toBe(bytes);
  });

  it.each<[Value, LogicalType, string]>([
    ['abc', 'integer', "'abc' is not an integer"],
    [12.5, 'integer', 'has a fraction'],
    ['12.5', 'integer', 'has a fraction'],
    ['3000000000', 'integer', 'out of range'],
    [2 ** 60, 'bigint', 'beyond 2^53'],
    ['1e300', 'bigint', 'beyond 2^53'],
    ['99999999999999999999', 'bigint', 'out of range'],
    [new Date(0), 'integer', 'is not an integer'],
    ['', 'number', "'' is not a number"],
    ['1e999', 'number', 'out of range'],
    [Infinity, 'number', 'out of range'],
    [{ a: 1 }, 'number', 'is not a number'],
    ['abc', 'decimal', 'is not a decimal'],
    [NaN, 'decimal', 'out of range'],
    ['maybe', 'boolean', 'is not a boolean'],
    [2, 'boolean', 'is not a boolean'],
    [{}, 'boolean', 'is not a boolean'],
    ['2023-02-30', 'date', 'expected ISO 8601'],
    ['2024-13-01', 'date', 'expected ISO 8601'],
    ['01/02/2024', 'timestamptz', 'expected ISO 8601'],
    [new Date(NaN), 'timestamp', 'invalid date'],
    [true, 'timestamp', 'is not a timestamp'],
    ['{oops', 'json', 'invalid JSON'],
    ['\\x0', 'binary', 'invalid hex'],
    ['\\xzz', 'binary', 'invalid hex'],
    [12, 'binary', 'is not a binary'],
  ])('refuses %p as %s', (value, type, message) => {
    expect(() => castValue(value, type)).toThrow(CastError);
    expect(() => castValue(value, type)).toThrow(message);
  });
});
