import type { Value } from '@aoe/connectors';

/**
 * Small, allocation-conscious helpers over connector `Value`s, shared by the
 * expression language, the transforms and the validation rules.
 */

const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A number from a number or a numeric string (decimals and big integers travel as strings); undefined otherwise. */
export function numericValue(value: Value | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return undefined;
}

export function isNumericString(value: string): boolean {
  return NUMERIC.test(value);
}

/** The text form of a value: what `||`, `concat`, the text functions and hashing see. */
export function textOf(value: Value): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Uint8Array)
    return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (value === null) return '';
  return JSON.stringify(value);
}

/** A short, printable rendering of a value for error messages and quarantine reasons. */
export function describeValue(value: Value | undefined): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `'${shown.replace(/'/g, "''")}'`;
  }
  const text = textOf(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * An unambiguous string for a tuple of values (dedupe and unique keys). Each
 * part carries a type tag and, for text, its length, so `('a,b')` and
 * `('a', 'b')` never collide and `1` differs from `'1'`.
 */
export function keyOf(row: Record<string, Value>, columns: readonly string[]): string {
  if (columns.length === 1) return keyPart(row[columns[0]]);
  let key = '';
  for (const column of columns) key += keyPart(row[column]);
  return key;
}

function keyPart(value: Value | undefined): string {
  if (value === null || value === undefined) return '~;';
  if (typeof value === 'string') return `s${value.length}:${value};`;
  if (typeof value === 'number') return `n${value};`;
  if (typeof value === 'boolean') return value ? 't;' : 'f;';
  const text = textOf(value);
  return `o${text.length}:${text};`;
}

/** True when any of the key columns is null: SQL keys with a null never collide. */
export function hasNullIn(row: Record<string, Value>, columns: readonly string[]): boolean {
  for (const column of columns) {
    const value = row[column];
    if (value === null || value === undefined) return true;
  }
  return false;
}

/** A JSON-safe copy of a row: Dates as ISO strings, bytes as `\x` hex, NUL characters escaped (jsonb refuses them). */
export function jsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.includes('\u0000') ? value.split('\u0000').join('\\u0000') : value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return textOf(value);
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[jsonSafe(k) as string] = jsonSafe(v);
    return out;
  }
  // Functions and symbols: their source text or description, never executed.
  if (typeof value === 'function') return Function.prototype.toString.call(value);
  return typeof value === 'symbol' ? value.toString() : null;
}

const TIMESTAMP =
  /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/i;

/**
 * An ISO 8601 date or timestamp (`2024-05-01`, `2024-05-01 10:00:00.123+02`).
 * A text without an offset is read as UTC, never in the process's time zone.
 * Undefined for anything else, including impossible dates such as 2023-02-30.
 */
export function parseTimestamp(text: string): Date | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 24 || minute > 59 || second > 60) return undefined;
  const millis = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  const check = new Date(0);
  check.setUTCFullYear(year, month - 1, day);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    return undefined;
  let time = check.getTime() + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    time -= sign * offsetMinutes * 60_000;
  }
  return new Date(time);
}

/** `YYYY-MM-DD` of a Date in UTC. */
export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
