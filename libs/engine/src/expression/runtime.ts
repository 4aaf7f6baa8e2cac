import type { Value } from '@aoe/connectors';
import { describeValue, numericValue, parseTimestamp, textOf } from '../values';
import { EvaluationError } from './expression-error';
import type { ExprType } from './types';

/** How two values are compared, decided once at compile time from their static types. */
export type CompareMode = 'number' | 'date' | 'text' | 'boolean' | 'exact' | 'dynamic';

export function numberOf(value: Value, context: string): number {
  const n = numericValue(value);
  if (n === undefined) throw new EvaluationError(`${context}: ${describeValue(value)} is not a number`);
  return n;
}

export function timeOf(value: Value, context: string): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const parsed = parseTimestamp(value);
    if (parsed) return parsed.getTime();
  }
  throw new EvaluationError(`${context}: ${describeValue(value)} is not a date or timestamp`);
}

export function booleanOf(value: Value, context: string): boolean | null {
  if (value === null || typeof value === 'boolean') return value;
  throw new EvaluationError(`${context}: ${describeValue(value)} is not a boolean`);
}

export function compareModeOf(a: ExprType, b: ExprType): CompareMode | undefined {
  const known = a === 'any' || a === 'null' ? b : b === 'any' || b === 'null' ? a : a === b ? a : undefined;
  if (known === undefined) {
    if ((a === 'date' && b === 'string') || (a === 'string' && b === 'date')) return 'date';
    return undefined;
  }
  switch (known) {
    case 'number':
      return 'number';
    case 'date':
      return 'date';
    case 'string':
      return 'text';
    case 'boolean':
      return 'boolean';
    case 'json':
    case 'binary':
      return 'exact';
    case 'any':
    case 'null':
      return 'dynamic';
  }
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Compares two non-null values; negative, zero or positive. */
export function compareValues(a: Value, b: Value, mode: CompareMode, context: string): number {
  switch (mode) {
    case 'number':
      return sign(numberOf(a, context) - numberOf(b, context));
    case 'date':
      return sign(timeOf(a, context) - timeOf(b, context));
    case 'text': {
      const x = textOf(a);
      const y = textOf(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'boolean':
      return Number(booleanOf(a, context)) - Number(booleanOf(b, context));
    case 'exact':
      return textOf(a) === textOf(b) ? 0 : textOf(a) < textOf(b) ? -1 : 1;
    case 'dynamic':
      return compareValues(a, b, dynamicMode(a, b, context), context);
  }
}

function dynamicMode(a: Value, b: Value, context: string): CompareMode {
  const ta = runtimeType(a);
  const tb = runtimeType(b);
  if (ta === tb) {
    if (ta === 'string' && numericValue(a) !== undefined && numericValue(b) !== undefined) return 'number';
    return ta === 'string'
      ? 'text'
      : ta === 'number'
        ? 'number'
        : ta === 'date'
          ? 'date'
          : ta === 'boolean'
            ? 'boolean'
            : 'exact';
  }
  if ((ta === 'number' && tb === 'string') || (ta === 'string' && tb === 'number')) {
    if (numericValue(a) !== undefined && numericValue(b) !== undefined) return 'number';
  }
  if ((ta === 'date' && tb === 'string') || (ta === 'string' && tb === 'date')) return 'date';
  throw new EvaluationError(`${context}: cannot compare ${describeValue(a)} with ${describeValue(b)}`);
}

function runtimeType(value: Value): ExprType {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (value instanceof Date) return 'date';
  if (value instanceof Uint8Array) return 'binary';
  return 'json';
}

/** Length in characters (code points), as PostgreSQL counts them. */
export function charLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

/** Rounds half away from zero to `digits` decimal places, without binary-fraction surprises (1.005 -> 1.01). */
export function roundTo(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  const shifted = Math.round(Number(`${abs}e${digits}`));
  const result = Number(`${shifted}e${-digits}`);
  return value < 0 ? -result : result;
}
