import type { Row } from '../connector';
import { ConnectorError } from '../connector-error';
import {
  advanceCursor,
  alreadyLoaded,
  compareCursorValues,
  incrementalKeyColumns,
  normalizeCursorValue,
  rowKey,
} from './cursor-state';

describe('compareCursorValues', () => {
  it('orders numbers, big integers and decimals by value, exactly', () => {
    expect(compareCursorValues(1, 2)).toBe(-1);
    expect(compareCursorValues(2, 2)).toBe(0);
    expect(compareCursorValues('9007199254740993', 9007199254740992)).toBe(1);
    expect(compareCursorValues('9007199254740993', '9007199254740994')).toBe(-1);
    expect(compareCursorValues('10', '9')).toBe(1);
    expect(compareCursorValues('1.50', '1.5')).toBe(0);
    expect(compareCursorValues('-1.5', '-1.25')).toBe(-1);
    expect(compareCursorValues('-2', '1')).toBe(-1);
    expect(compareCursorValues('0.10', '0.09')).toBe(1);
    expect(compareCursorValues('-0', '0')).toBe(0);
    expect(compareCursorValues(1.5, '1.25')).toBe(1);
  });

  it('orders ISO timestamps with microseconds, dates and text by code unit', () => {
    const date = normalizeCursorValue(new Date('2024-01-02T03:04:05.123Z'), 'c')!;
    expect(date).toBe('2024-01-02T03:04:05.123000Z');
    expect(compareCursorValues(date, '2024-01-02T03:04:05.123456Z')).toBe(-1);
    expect(compareCursorValues('2024-01-02T03:04:05.124000Z', '2024-01-02T03:04:05.123456')).toBe(1);
    expect(compareCursorValues('2024-01-02', '2024-01-10')).toBe(-1);
    expect(compareCursorValues('B', 'a')).toBe(-1);
    expect(compareCursorValues('infinity', '2024-01-01')).toBe(1);
    expect(compareCursorValues('x', 'x')).toBe(0);
  });
});

describe('normalizeCursorValue', () => {
  it('keeps numbers and text, turns Dates and bigints into text, refuses the unordered', () => {
    expect(normalizeCursorValue(null, 'c')).toBeNull();
    expect(normalizeCursorValue(undefined, 'c')).toBeNull();
    expect(normalizeCursorValue(3, 'c')).toBe(3);
    expect(normalizeCursorValue('x', 'c')).toBe('x');
    expect(normalizeCursorValue(12n, 'c')).toBe('12');
    expect(() => normalizeCursorValue(NaN, 'c')).toThrow(ConnectorError);
    expect(() => normalizeCursorValue(new Date(NaN), 'c')).toThrow(ConnectorError);
    expect(() => normalizeCursorValue(true, 'c')).toThrow('holds a boolean');
    expect(() => normalizeCursorValue({ a: 1 }, 'c')).toThrow('holds a structured value');
  });
});

describe('rowKey', () => {
  it('is the value for one column and a JSON array for several', () => {
    expect(rowKey({ id: 7 }, ['id'])).toBe('7');
    expect(rowKey({ id: null }, ['id'])).toBe('null');
    expect(rowKey({ a: 1, b: 'x' }, ['a', 'b'])).toBe('[1,"x"]');
    const at = new Date('2024-01-01T00:00:00Z');
    expect(
      rowKey({ a: at, b: true, c: Uint8Array.from([1]), d: { k: 1 }, e: new Date(NaN) }, [
        'a',
        'b',
        'c',
        'd',
        'e',
        'f',
      ]),
    ).toBe('["2024-01-01T00:00:00.000000Z","true","\\\\x01","{\\"k\\":1}","Invalid Date",null]');
    // Names that Object.prototype has are only read as own properties.
    expect(rowKey({}, ['constructor'])).toBe('null');
  });

  it('uses the primary key, else every column', () => {
    const columns = [
      { name: 'a', type: 'integer' as const, nullable: false },
      { name: 'b', type: 'string' as const, nullable: true },
    ];
    expect(incrementalKeyColumns({ name: 's', columns, primaryKey: ['b'] })).toEqual(['b']);
    expect(incrementalKeyColumns({ name: 's', columns })).toEqual(['a', 'b']);
  });
});

describe('advanceCursor', () => {
  const rows = (...pairs: Array<[number, number | null]>): Row[] => pairs.map(([id, at]) => ({ id, at }));

  it('keeps the highest value and every key at it, ignoring NULL cursors', () => {
    const state = advanceCursor(undefined, rows([1, 5], [2, 7], [3, 7], [4, null], [5, 6]), 'at', ['id']);
    expect(state).toEqual({ column: 'at', value: 7, keysAtValue: ['2', '3'] });
  });

  it('folds batch by batch to the same state as one call', () => {
    const all = rows([1, 5], [2, 7], [3, 7], [4, 8], [5, 8], [6, 8]);
    const once = advanceCursor(undefined, all, 'at', ['id']);
    let folded = advanceCursor(undefined, [], 'at', ['id']);
    for (let i = 0; i < all.length; i += 2) folded = advanceCursor(folded, all.slice(i, i + 2), 'at', ['id']);
    expect(folded).toEqual(once);
    expect(once).toEqual({ column: 'at', value: 8, keysAtValue: ['4', '5', '6'] });
  });

  it('adds keys at the carried mark, moves past it, and ignores rows below it', () => {
    const carried = { column: 'at', value: 7, keysAtValue: ['2'] };
    expect(advanceCursor(carried, rows([9, 7], [1, 3]), 'at', ['id'])).toEqual({
      column: 'at',
      value: 7,
      keysAtValue: ['2', '9'],
    });
    expect(advanceCursor(carried, rows([1, 3]), 'at', ['id'])).toEqual(carried);
    expect(advanceCursor(carried, rows([10, 8]), 'at', ['id'])).toEqual({
      column: 'at',
      value: 8,
      keysAtValue: ['10'],
    });
    // A state of another column starts afresh.
    expect(advanceCursor({ ...carried, column: 'other' }, [], 'at', ['id'])).toEqual({
      column: 'at',
      value: null,
      keysAtValue: [],
    });
  });

  it('tells a source which rows at the mark were loaded already', () => {
    const state = { column: 'at', value: 7, keysAtValue: ['2'] };
    const keys = new Set(state.keysAtValue);
    expect(alreadyLoaded({ id: 2, at: 7 }, state, keys, ['id'])).toBe(true);
    expect(alreadyLoaded({ id: 3, at: 7 }, state, keys, ['id'])).toBe(false);
    expect(alreadyLoaded({ id: 2, at: 8 }, state, keys, ['id'])).toBe(false);
    expect(alreadyLoaded({ id: 2, at: null }, state, keys, ['id'])).toBe(false);
    expect(alreadyLoaded({ id: 2, at: 7 }, { ...state, value: null }, keys, ['id'])).toBe(false);
  });
});
