import { z } from 'zod';
import { CorruptRowError } from '../errors';
import { firstRow, isoOrUndefined, jsonParam, parseRow } from './rows';

describe('parseRow', () => {
  const Row = z.object({ id: z.string(), stats: z.object({ rows: z.number().min(0) }) });

  it('returns the parsed row', () => {
    expect(parseRow(Row, { id: 'r-1', stats: { rows: 1 } }, 'runs', ['id'])).toEqual({ id: 'r-1', stats: { rows: 1 } });
  });

  it('names the table, the row and every broken field', () => {
    let error: unknown;
    try {
      parseRow(Row, { id: 'r-1', stats: { rows: -1 } }, 'runs', ['id']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CorruptRowError);
    expect(error).toMatchObject({ code: 'STORE_CORRUPT_ROW', table: 'runs', key: 'r-1' });
    expect((error as Error).message).toMatch(/^runs row r-1 does not match its contract: stats\.rows: /);
  });
});

describe('row helpers', () => {
  it('encode jsonb parameters as JSON text, null for absent', () => {
    expect(jsonParam({ a: [1] })).toBe('{"a":[1]}');
    expect(jsonParam(undefined)).toBeNull();
    expect(jsonParam(null)).toBeNull();
  });

  it('map nullable timestamps and insist on returned rows', () => {
    expect(isoOrUndefined(null)).toBeUndefined();
    expect(isoOrUndefined(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(() => firstRow([])).toThrow(/no row/);
  });
});
