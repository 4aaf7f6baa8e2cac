import { InvalidCursorError } from '../errors';
import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  encodeCursor,
  MAX_PAGE_SIZE,
  pageSize,
  SqlFilter,
  type KeyColumn,
} from './pagination';

const timeAndId: KeyColumn[] = [
  { column: 'created_at', type: 'timestamptz' },
  { column: 'id', type: 'text' },
];

describe('page cursors', () => {
  it('round-trip their key values', () => {
    const cursor = encodeCursor(['2025-01-01T00:00:00.123456Z', 'run-1']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, timeAndId)).toEqual(['2025-01-01T00:00:00.123456Z', 'run-1']);
    expect(decodeCursor(encodeCursor([7]), [{ column: 'version', type: 'integer' }])).toEqual([7]);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['the wrong number of keys', encodeCursor(['2025-01-01T00:00:00Z'])],
    ['the wrong types', encodeCursor([1, 2])],
    ['an object', Buffer.from('{"a":1}').toString('base64url')],
  ])('are refused when they hold %s', (_, cursor) => {
    expect(() => decodeCursor(cursor, timeAndId)).toThrow(InvalidCursorError);
  });
});

describe('pageSize', () => {
  it('defaults, floors and clamps', () => {
    expect(pageSize(undefined)).toBe(DEFAULT_PAGE_SIZE);
    expect(pageSize(Number.NaN)).toBe(DEFAULT_PAGE_SIZE);
    expect(pageSize(0)).toBe(1);
    expect(pageSize(-5)).toBe(1);
    expect(pageSize(7.9)).toBe(7);
    expect(pageSize(10_000)).toBe(MAX_PAGE_SIZE);
  });
});

describe('SqlFilter', () => {
  it('numbers parameters in the order they are added', () => {
    const filter = new SqlFilter()
      .equals('pipeline_id', 'p-1')
      .whereIn('status', ['queued', 'running'])
      .whereSql('x IS NULL');
    expect(filter.toSql()).toBe('WHERE pipeline_id = $1 AND status IN ($2, $3) AND x IS NULL');
    expect(filter.params).toEqual(['p-1', 'queued', 'running']);
    expect(filter.param(10)).toBe('$4');
  });

  it('matches nothing for an empty IN list, and everything without conditions', () => {
    expect(new SqlFilter().whereIn('status', []).toSql()).toBe('WHERE false');
    expect(new SqlFilter().toSql()).toBe('');
  });
});
