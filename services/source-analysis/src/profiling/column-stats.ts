import { createHash } from 'node:crypto';
import type { LogicalType } from '@aoe/contracts';
import type { Row, Value } from '@aoe/connectors';

/** What one pass over a column's sampled values found. */
export interface ColumnStats {
  /** Sampled rows (a value missing from a JSON record counts as null). */
  rows: number;
  nulls: number;
  /** Distinct non-null values in the sample, exactly. */
  distinct: number;
  /** Non-null values seen exactly once in the sample (f1 of the distinct-count estimator). */
  singletons: number;
  min?: string | number;
  max?: string | number;
  /** Consecutive non-null pairs in read order that go up, go down, or stay. */
  order: { up: number; down: number; same: number };
  /** Longest value as text (characters). */
  maxLength: number;
  /** Non-null values as text, in read order, for the PII checks (at most `textLimit`). */
  texts: string[];
}

/** Values longer than this are counted distinct by digest, to bound memory. */
const MAX_KEY_LENGTH = 128;
/** Longest min/max kept for text. */
const MAX_BOUND_LENGTH = 200;

type OrderKey = number | bigint | string;

/** The text form of a value: what distinctness, PII checks and string bounds look at. */
export function valueText(value: Value): string {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function distinctKey(text: string): string {
  return text.length <= MAX_KEY_LENGTH ? text : `#${createHash('sha1').update(text).digest('base64')}`;
}

/** `2024-01-31 10:00:00` and friends as epoch milliseconds; a time without an offset is read as UTC. */
export function epochOf(value: Value): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== 'string') return typeof value === 'number' ? value : undefined;
  let text = value.trim().replace(' ', 'T');
  // Already UTC (the common ISO form): no offset to normalise.
  if (text.endsWith('Z')) return dateParse(text);
  if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) text += 'Z';
  else if (/[+-]\d{2}$/.test(text)) text += ':00';
  else if (/[+-]\d{4}$/.test(text)) text = `${text.slice(0, -2)}:${text.slice(-2)}`;
  return dateParse(text);
}

function dateParse(text: string): number | undefined {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** How a value of a logical type orders (`text` is its valueText), or undefined when the type has no useful order. */
function orderKey(type: LogicalType, value: Value, text: string): OrderKey | undefined {
  switch (type) {
    case 'integer':
    case 'number':
    case 'decimal': {
      const n = typeof value === 'number' ? value : Number(value);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'bigint':
      try {
        if (typeof value === 'number') return BigInt(Math.trunc(value));
        return typeof value === 'string' ? BigInt(value.trim()) : undefined;
      } catch {
        return undefined;
      }
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return epochOf(value);
    case 'string':
      return text;
    case 'boolean':
    case 'json':
    case 'binary':
      return undefined;
  }
}

/** How a bound is shown: numbers as numbers where exact, times as ISO text, text truncated. */
function boundOf(type: LogicalType, value: Value): string | number {
  if (value instanceof Date) return type === 'date' ? value.toISOString().slice(0, 10) : value.toISOString();
  if (typeof value === 'number') return value;
  const text = valueText(value);
  if (type === 'integer' || type === 'number') {
    const n = Number(text);
    if (Number.isFinite(n)) return n;
  }
  if (type === 'bigint') {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
  }
  return text.length > MAX_BOUND_LENGTH ? text.slice(0, MAX_BOUND_LENGTH) : text;
}

/**
 * One pass over a column of the sample: nulls, exact distinct values and
 * singletons, min and max under the column's type, and how values move in
 * read order (for cursor detection).
 */
export function columnStats(rows: readonly Row[], name: string, type: LogicalType, textLimit = 2_000): ColumnStats {
  // Distinct values, and those seen more than once: one hash operation per value seen once.
  const seen = new Set<string>();
  const repeated = new Set<string>();
  const stats: ColumnStats = {
    rows: rows.length,
    nulls: 0,
    distinct: 0,
    singletons: 0,
    order: { up: 0, down: 0, same: 0 },
    maxLength: 0,
    texts: [],
  };
  let minKey: OrderKey | undefined;
  let maxKey: OrderKey | undefined;
  let minValue: Value = null;
  let maxValue: Value = null;
  let previous: OrderKey | undefined;
  const ordered = type !== 'boolean' && type !== 'json' && type !== 'binary';
  for (const row of rows) {
    const value = row[name];
    if (value === null || value === undefined) {
      stats.nulls += 1;
      continue;
    }
    const text = typeof value === 'string' ? value : valueText(value);
    if (text.length > stats.maxLength) stats.maxLength = text.length;
    if (stats.texts.length < textLimit) stats.texts.push(text);
    const key = distinctKey(text);
    const before = seen.size;
    seen.add(key);
    if (seen.size === before) repeated.add(key);
    if (!ordered) continue;
    const order = orderKey(type, value, text);
    if (order === undefined) continue;
    if (minKey === undefined || order < minKey) {
      minKey = order;
      minValue = value;
    }
    if (maxKey === undefined || order > maxKey) {
      maxKey = order;
      maxValue = value;
    }
    if (previous !== undefined) {
      if (order > previous) stats.order.up += 1;
      else if (order < previous) stats.order.down += 1;
      else stats.order.same += 1;
    }
    previous = order;
  }
  stats.distinct = seen.size;
  stats.singletons = seen.size - repeated.size;
  if (minKey !== undefined) {
    stats.min = boundOf(type, minValue);
    stats.max = boundOf(type, maxValue);
  }
  return stats;
}
