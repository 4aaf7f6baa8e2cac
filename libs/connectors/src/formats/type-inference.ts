import type { LogicalType } from '@aoe/contracts';
import type { ColumnSchema, Row, Value } from '../connector';

/**
 * Type inference from samples, shared by the file/S3/HTTP sources and the
 * source-analysis agent. It only ever proposes a type every sampled value
 * casts to without loss; when in doubt it says `string`.
 */

export interface InferredType {
  type: LogicalType;
  /** A null (or undefined) value was seen, or the sample had no value at all. */
  nullable: boolean;
}

/** What one value looks like; merged over a sample into one LogicalType. */
type Kind =
  | 'integer'
  | 'bigint'
  | 'decimal'
  | 'number'
  | 'boolean'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'json'
  | 'binary'
  | 'string';

const INTEGER = /^[+-]?(0|[1-9]\d*)$/;
const NUMBER = /^[+-]?(?:(?:0|[1-9]\d*)(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const BOOLEAN = /^(true|false|t|f|yes|no)$/i;
const INT32_MAX = 2_147_483_647n;
const INT32_MIN = -2_147_483_648n;
const INT64_MAX = 9_223_372_036_854_775_807n;
const INT64_MIN = -9_223_372_036_854_775_808n;
/** Beyond this many significant digits a double no longer holds a decimal exactly. */
const DOUBLE_DIGITS = 15;

/** The LogicalType of one string as it would be written in a CSV file. */
export function classifyString(value: string): Kind {
  if (INTEGER.test(value)) {
    // Nine digits always fit 32 bits.
    if (value.length - (value[0] === '+' || value[0] === '-' ? 1 : 0) <= 9) return 'integer';
    const n = BigInt(value);
    if (n >= INT32_MIN && n <= INT32_MAX) return 'integer';
    if (n >= INT64_MIN && n <= INT64_MAX) return 'bigint';
    return 'decimal';
  }
  if (NUMBER.test(value)) {
    // Not an integer, so it has a point or an exponent: 16 characters hold at most 15 digits.
    if (value.length <= DOUBLE_DIGITS + 1) return 'number';
    const digits = value
      .replace(/[eE].*$/, '')
      .replace(/[^0-9]/g, '')
      .replace(/^0+/, '');
    return digits.length > DOUBLE_DIGITS ? 'decimal' : 'number';
  }
  if (BOOLEAN.test(value)) return 'boolean';
  const date = DATE.exec(value);
  if (date) return validDate(date[1], date[2], date[3]) ? 'date' : 'string';
  const ts = TIMESTAMP.exec(value);
  if (ts && validDate(ts[1], ts[2], ts[3]) && validTime(ts[4], ts[5], ts[6])) {
    return ts[7] ? 'timestamptz' : 'timestamp';
  }
  return 'string';
}

function validDate(y: string, m: string, d: string): boolean {
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d);
}

function validTime(h: string, m: string, s: string | undefined): boolean {
  return Number(h) < 24 && Number(m) < 60 && (s === undefined || Number(s) < 60);
}

/** Kind of a value as it arrives from JSON or Parquet. Strings that spell numbers stay strings: the source chose so. */
export function classifyValue(value: Value | undefined): Kind | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    const kind = classifyString(value);
    return kind === 'date' || kind === 'timestamp' || kind === 'timestamptz' ? kind : 'string';
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'number';
    if (value >= -2_147_483_648 && value <= 2_147_483_647) return 'integer';
    return Number.isSafeInteger(value) ? 'bigint' : 'number';
  }
  if (typeof value === 'boolean') return 'boolean';
  if (value instanceof Date) return 'timestamptz';
  if (value instanceof Uint8Array) return 'binary';
  return 'json';
}

const NUMERIC_RANK: Partial<Record<Kind, number>> = { integer: 0, bigint: 1, number: 2, decimal: 3 };

function merge(a: Kind, b: Kind): Kind {
  if (a === b) return a;
  const ra = NUMERIC_RANK[a];
  const rb = NUMERIC_RANK[b];
  if (ra !== undefined && rb !== undefined) {
    // A decimal mixed with a double keeps the exact form; integers widen.
    return ra > rb ? a : b;
  }
  const pair = new Set([a, b]);
  if (pair.has('date') && pair.has('timestamp')) return 'timestamp';
  return 'string';
}

function mergeAll(kinds: Iterable<Kind | null>): InferredType {
  let type: Kind | undefined;
  let nullable = false;
  for (const kind of kinds) {
    if (kind === null) {
      nullable = true;
      continue;
    }
    type = type === undefined ? kind : merge(type, kind);
  }
  if (type === undefined) return { type: 'string', nullable: true };
  return { type, nullable };
}

/**
 * Infers the LogicalType of a column from sampled strings (CSV cells). `null`
 * is a missing value; an empty string is a value (and makes the column a string).
 *
 * integer (32-bit), bigint (64-bit), decimal (wider integers, or more than 15
 * significant digits), number, boolean (true/false/t/f/yes/no), date
 * (YYYY-MM-DD), timestamp (date and time, no offset), timestamptz (with Z or an
 * offset), otherwise string. Leading zeros (`007`) keep a column a string.
 */
export function inferLogicalType(values: Iterable<string | null | undefined>): InferredType {
  let type: Kind | undefined;
  let nullable = false;
  for (const value of values) {
    if (value === null || value === undefined) nullable = true;
    // Nothing merges a string into another type: past one, only nulls are left to find.
    else if (type !== 'string') type = type === undefined ? classifyString(value) : merge(type, classifyString(value));
  }
  return type === undefined ? { type: 'string', nullable: true } : { type, nullable };
}

/** Infers the LogicalType of a column from typed values (JSON, Parquet, HTTP). */
export function inferValueType(values: Iterable<Value | undefined>): InferredType {
  return mergeAll(mapIter(values, classifyValue));
}

function* mapIter<T, U>(values: Iterable<T>, fn: (value: T) => U): Iterable<U> {
  for (const value of values) yield fn(value);
}

/**
 * Columns of a sample of rows, in order of first appearance. Strings are
 * classified as CSV cells when `stringsAreText` is false (CSV sources), as JSON
 * strings otherwise. Every inferred column is nullable: a sample proves nothing
 * about rows it did not see.
 */
export function inferColumns(rows: Iterable<Row>, options: { stringsAreText?: boolean } = {}): ColumnSchema[] {
  const stringsAreText = options.stringsAreText ?? true;
  const kinds = new Map<string, Array<Kind | null>>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      let list = kinds.get(name);
      if (!list) kinds.set(name, (list = []));
      list.push(typeof value === 'string' && !stringsAreText ? classifyString(value) : classifyValue(value));
    }
  }
  return [...kinds].map(([name, list]) => ({ name, type: mergeAll(list).type, nullable: true }));
}
