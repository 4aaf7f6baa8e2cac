import type { CursorState, Row, StreamSchema, Value } from '../connector';
import { ConnectorError } from '../connector-error';

/**
 * Incremental state, shared by the source (which skips what the state says
 * was loaded) and the engine (which computes the next state from the rows it
 * loaded). Free of any database: the engine imports it as it is.
 */

/** A cursor value as it is stored in a CursorState. */
export type CursorValue = string | number;

/** Timestamps compare as ISO text with microseconds, so a Date and a microsecond string order correctly. */
function isoMicros(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, -1)}000Z`;
}

/**
 * A value of a cursor column as stored in a state: numbers stay numbers,
 * Dates become ISO text with microseconds, big integers and decimals stay text.
 */
export function normalizeCursorValue(value: Value | bigint | undefined, column: string): CursorValue | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ConnectorError('data-quality', `cursor column "${column}" holds ${value}`);
    return value;
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw new ConnectorError('data-quality', `cursor column "${column}" holds an invalid date`);
    return isoMicros(value);
  }
  throw new ConnectorError(
    'bug',
    `cursor column "${column}" holds a ${typeof value === 'boolean' ? 'boolean' : 'structured value'}; choose an ordered column (a number, a timestamp or text)`,
  );
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

function decimalParts(value: CursorValue): { negative: boolean; int: string; frac: string } | undefined {
  const text = typeof value === 'number' ? (Number.isInteger(value) ? BigInt(value).toString() : String(value)) : value;
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  const int = m[2].replace(/^0+/, '');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return { negative: m[1] === '-' && (int !== '' || frac !== ''), int, frac };
}

function compareMagnitude(a: { int: string; frac: string }, b: { int: string; frac: string }): number {
  if (a.int.length !== b.int.length) return a.int.length < b.int.length ? -1 : 1;
  if (a.int !== b.int) return a.int < b.int ? -1 : 1;
  const width = Math.max(a.frac.length, b.frac.length);
  const fa = a.frac.padEnd(width, '0');
  const fb = b.frac.padEnd(width, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/**
 * Orders two cursor values: numbers and numeric text by value (exactly, for
 * integers beyond 2^53 and decimals), everything else (ISO timestamps, dates,
 * text) by code unit, which is how the source orders text cursors (COLLATE "C").
 */
export function compareCursorValues(a: CursorValue, b: CursorValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  const da = decimalParts(a);
  const db = decimalParts(b);
  if (da && db) {
    if (da.negative !== db.negative) return da.negative ? -1 : 1;
    const magnitude = compareMagnitude(da, db);
    return da.negative ? -magnitude : magnitude;
  }
  const sa = String(a);
  const sb = String(b);
  return sa === sb ? 0 : sa < sb ? -1 : 1;
}

function keyPart(value: Value | undefined): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : isoMicros(value);
  if (value instanceof Uint8Array)
    return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  return JSON.stringify(value);
}

function own(row: Row, column: string): Value | undefined {
  return Object.prototype.hasOwnProperty.call(row, column) ? row[column] : undefined;
}

/**
 * The identity of a row in `keysAtValue`: the key value itself for a one-column
 * key, a JSON array for a composite key.
 */
export function rowKey(row: Row, keyColumns: readonly string[]): string {
  if (keyColumns.length === 1) {
    const part = keyPart(own(row, keyColumns[0]));
    return part === null ? 'null' : String(part);
  }
  return JSON.stringify(keyColumns.map((column) => keyPart(own(row, column))));
}

/** The columns that identify a row for incremental state: the primary key, else every column. */
export function incrementalKeyColumns(schema: StreamSchema): string[] {
  return schema.primaryKey && schema.primaryKey.length > 0 ? [...schema.primaryKey] : schema.columns.map((c) => c.name);
}

/**
 * The state after loading `rows` on top of `state`: the highest cursor value
 * seen and the keys of every row at exactly that value. Rows with a NULL
 * cursor do not move the mark. Folding batch by batch gives the same state as
 * one call with every row.
 */
export function advanceCursor(
  state: CursorState | undefined,
  rows: readonly Row[],
  column: string,
  keyColumns: readonly string[],
): CursorState {
  const carried = state && state.column === column ? state : undefined;
  let value: CursorValue | null = carried?.value ?? null;
  let keys: Set<string> | undefined;
  for (const row of rows) {
    const v = normalizeCursorValue(own(row, column), column);
    if (v === null) continue;
    const order = value === null ? 1 : compareCursorValues(v, value);
    if (order < 0) continue;
    if (order > 0) {
      value = v;
      keys = new Set();
    } else {
      keys ??= new Set(carried?.keysAtValue ?? []);
    }
    keys.add(rowKey(row, keyColumns));
  }
  if (keys === undefined) {
    return carried ? { ...carried } : { column, value: null, keysAtValue: [] };
  }
  return { column, value, keysAtValue: [...keys] };
}

/** Whether a source must skip a row: at exactly the mark, and already loaded. */
export function alreadyLoaded(
  row: Row,
  state: CursorState,
  keysAtValue: ReadonlySet<string>,
  keyColumns: readonly string[],
): boolean {
  if (state.value === null || keysAtValue.size === 0) return false;
  const v = normalizeCursorValue(own(row, state.column), state.column);
  return v !== null && compareCursorValues(v, state.value) === 0 && keysAtValue.has(rowKey(row, keyColumns));
}
