import { z } from 'zod';
import type { Database, SqlParam } from '../database/database';
import { InvalidCursorError } from '../errors';
import type { RawRow } from './rows';

export interface PageRequest {
  /** 1..MAX_PAGE_SIZE; default DEFAULT_PAGE_SIZE. */
  limit?: number;
  /** The nextCursor of the previous page; omit for the first page. */
  cursor?: string | null;
}

/** Every list of the store returns this shape; nextCursor is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** A column of the sort key; the last one must make the key unique. */
export interface KeyColumn {
  column: string;
  type: 'timestamptz' | 'text' | 'integer';
}

export interface KeysetQuery {
  table: string;
  filter: SqlFilter;
  keys: readonly KeyColumn[];
  direction: 'asc' | 'desc';
}

/** Newest first by a timestamp column, ties broken by id (the common order of the store's lists). */
export function newestFirst(table: string, timeColumn: string, filter: SqlFilter): KeysetQuery {
  return {
    table,
    filter,
    keys: [
      { column: timeColumn, type: 'timestamptz' },
      { column: 'id', type: 'text' },
    ],
    direction: 'desc',
  };
}

/** Conditions joined by AND, with their values as numbered parameters. */
export class SqlFilter {
  readonly conditions: string[] = [];
  readonly params: SqlParam[] = [];

  /** Adds the value as the next parameter and returns its placeholder. */
  param(value: SqlParam): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** condition receives the placeholder of value: `f.where('status = %', 'queued')`. */
  where(condition: (placeholder: string) => string, value: SqlParam): this {
    this.conditions.push(condition(this.param(value)));
    return this;
  }

  equals(column: string, value: SqlParam): this {
    return this.where((p) => `${column} = ${p}`, value);
  }

  whereSql(condition: string): this {
    this.conditions.push(condition);
    return this;
  }

  whereIn(column: string, values: readonly SqlParam[]): this {
    if (values.length === 0) this.conditions.push('false');
    else this.conditions.push(`${column} IN (${values.map((v) => this.param(v)).join(', ')})`);
    return this;
  }

  toSql(): string {
    return this.conditions.length === 0 ? '' : `WHERE ${this.conditions.join(' AND ')}`;
  }
}

const CursorValues = z.array(z.union([z.string(), z.number()])).min(1);

export function encodeCursor(values: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, keys: readonly KeyColumn[]): Array<string | number> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const values = CursorValues.safeParse(decoded);
  if (!values.success || values.data.length !== keys.length) throw new InvalidCursorError();
  values.data.forEach((value, i) => {
    const expected = keys[i]?.type === 'integer' ? 'number' : 'string';
    if (typeof value !== expected) throw new InvalidCursorError();
  });
  return values.data;
}

export function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)));
}

/**
 * Timestamps go into the cursor as text with microseconds, so a page boundary
 * never falls between two rows that a JavaScript Date (milliseconds) would merge.
 */
function keyOutput(key: KeyColumn): string {
  return key.type === 'timestamptz'
    ? `to_char(${key.column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
    : key.column;
}

const KEY_ALIAS = (i: number) => `__page_key_${i}`;

/** One page of a keyset-paginated list: rows after the cursor, in key order. */
export async function listPage<T>(
  db: Database,
  query: KeysetQuery,
  request: PageRequest,
  map: (row: RawRow) => T,
): Promise<Page<T>> {
  const limit = pageSize(request.limit);
  const filter = query.filter;
  if (request.cursor) {
    const values = decodeCursor(request.cursor, query.keys);
    const columns = query.keys.map((k) => k.column).join(', ');
    const placeholders = query.keys.map((k, i) => `${filter.param(values[i] ?? null)}::${k.type}`).join(', ');
    filter.whereSql(`(${columns}) ${query.direction === 'desc' ? '<' : '>'} (${placeholders})`);
  }
  const keyColumns = query.keys.map((k, i) => `${keyOutput(k)} AS ${KEY_ALIAS(i)}`).join(', ');
  const orderBy = query.keys.map((k) => `${k.column} ${query.direction.toUpperCase()}`).join(', ');
  const limitParam = filter.param(limit + 1);
  const result = await db.query<RawRow>(
    `SELECT *, ${keyColumns} FROM ${query.table} ${filter.toSql()} ORDER BY ${orderBy} LIMIT ${limitParam}`,
    filter.params,
  );
  const rows = result.rows.slice(0, limit);
  const last = rows[rows.length - 1];
  const nextCursor =
    result.rows.length > limit && last ? encodeCursor(query.keys.map((_, i) => keyValue(last[KEY_ALIAS(i)]))) : null;
  return { items: rows.map(map), nextCursor };
}

function keyValue(value: unknown): string | number {
  if (typeof value === 'string' || typeof value === 'number') return value;
  throw new Error(`unexpected page key value ${String(value)}`);
}
