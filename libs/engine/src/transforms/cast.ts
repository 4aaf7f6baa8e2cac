import type { LogicalType } from '@aoe/contracts';
import type { Value } from '@aoe/connectors';
import { CastError } from '../errors';
import { describeValue, isoDate, isNumericString, parseTimestamp, textOf } from '../values';

const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;
const TRUE_TEXT = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const FALSE_TEXT = new Set(['false', 'f', 'no', 'n', 'off', '0']);

function fail(value: Value, to: LogicalType, why?: string): never {
  throw new CastError(`${describeValue(value)} is not ${article(to)} ${to}${why ? ` (${why})` : ''}`);
}

function article(type: LogicalType): string {
  return /^[aeiou]/.test(type) ? 'an' : 'a';
}

/**
 * Converts one value to a logical type, or throws a CastError saying why.
 * Null stays null. Nothing is rounded or truncated silently: 12.5 is not an
 * integer, 'abc' is not a number, 2023-02-30 is not a date.
 *
 * Representations: integer and number as JS numbers; bigint as a number when
 * it is a safe integer, otherwise as its decimal text; decimal as canonical
 * text (no binary rounding); date as `YYYY-MM-DD`; timestamp and timestamptz
 * as Date (text without an offset is UTC; numbers are Unix epoch seconds);
 * binary as bytes (`\x…` hex text is decoded, other text is UTF-8).
 */
export function castValue(value: Value, to: LogicalType): Value {
  if (value === null || value === undefined) return null;
  switch (to) {
    case 'string':
      return textOf(value);
    case 'integer': {
      const n = integerOf(value, to);
      if (typeof n !== 'number' || n < INT32_MIN || n > INT32_MAX) fail(value, to, 'out of range');
      return n;
    }
    case 'bigint': {
      const n = integerOf(value, to);
      return n;
    }
    case 'number': {
      if (typeof value === 'number') return finite(value, to);
      if (typeof value === 'string' && isNumericString(value)) return finite(Number(value), to, value);
      if (typeof value === 'boolean') return value ? 1 : 0;
      return fail(value, to);
    }
    case 'decimal': {
      if (typeof value === 'number') return String(finite(value, to));
      if (typeof value === 'string' && isNumericString(value)) return canonicalDecimal(value.trim());
      return fail(value, to);
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') {
        if (value === 1 || value === 0) return value === 1;
        return fail(value, to);
      }
      if (typeof value === 'string') {
        const lower = value.trim().toLowerCase();
        if (TRUE_TEXT.has(lower)) return true;
        if (FALSE_TEXT.has(lower)) return false;
      }
      return fail(value, to);
    }
    case 'date': {
      const date = dateOf(value, to);
      return isoDate(date);
    }
    case 'timestamp':
    case 'timestamptz':
      return dateOf(value, to);
    case 'json': {
      if (typeof value === 'string') {
        try {
          return JSON.parse(value) as Value;
        } catch {
          return fail(value, to, 'invalid JSON');
        }
      }
      if (value instanceof Date) return value.toISOString();
      if (value instanceof Uint8Array) return textOf(value);
      return value;
    }
    case 'binary': {
      if (value instanceof Uint8Array) return value;
      if (typeof value === 'string') {
        if (value.startsWith('\\x')) {
          const hex = value.slice(2);
          if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) fail(value, to, 'invalid hex');
          return new Uint8Array(Buffer.from(hex, 'hex'));
        }
        return new Uint8Array(Buffer.from(value, 'utf8'));
      }
      return fail(value, to);
    }
  }
}

function finite(n: number, to: LogicalType, original: Value = n): number {
  if (!Number.isFinite(n)) fail(original, to, 'out of range');
  return n;
}

function integerOf(value: Value, to: LogicalType): number | string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) fail(value, to, 'has a fraction');
    if (!Number.isSafeInteger(value)) fail(value, to, 'beyond 2^53: give it as text');
    return value;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    if (INTEGER_TEXT.test(value)) {
      const big = BigInt(value.trim());
      if (big < INT64_MIN || big > INT64_MAX) fail(value, to, 'out of range');
      const n = Number(big);
      return Number.isSafeInteger(n) ? n : big.toString();
    }
    if (isNumericString(value)) {
      const n = Number(value);
      if (Number.isSafeInteger(n)) return n;
      fail(value, to, Number.isInteger(n) ? 'beyond 2^53' : 'has a fraction');
    }
  }
  return fail(value, to);
}

function canonicalDecimal(text: string): string {
  if (/[eE]/.test(text)) return String(Number(text));
  let out = text.startsWith('+') ? text.slice(1) : text;
  if (out.startsWith('.')) out = `0${out}`;
  else if (out.startsWith('-.')) out = `-0${out.slice(1)}`;
  if (out.endsWith('.')) out = out.slice(0, -1);
  return out;
}

function dateOf(value: Value, to: LogicalType): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) fail(value, to, 'invalid date');
    return value;
  }
  if (typeof value === 'string') {
    const parsed = parseTimestamp(value);
    if (parsed) return parsed;
    return fail(value, to, 'expected ISO 8601, e.g. 2024-05-01 or 2024-05-01T10:00:00Z');
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    const date = new Date(value * 1000);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return fail(value, to);
}
