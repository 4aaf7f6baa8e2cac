import type { Row, Value } from '../connector';

export type NestedMode = 'flatten' | 'json';

/** The separator between a parent's and a child's name when nested objects are flattened. */
export const FLATTEN_SEPARATOR = '_';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Flattens nested objects into columns: `{"a": {"b": 1}}` becomes `a_b: 1`,
 * recursively (`a_b_c`). Arrays are kept as JSON values. When a flattened name
 * would collide with a name the record already has (`a_b` next to `a.b`), the
 * parent is kept whole as a JSON value instead, so no value is lost.
 */
export function flattenRecord(record: Record<string, unknown>, separator = FLATTEN_SEPARATOR): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(record)) {
    if (isPlainObject(value)) {
      const inner = flattenRecord(value, separator);
      const entries = Object.entries(inner).map(([name, v]) => [`${key}${separator}${name}`, v] as const);
      const collides = entries.some(([name]) => name in out || Object.prototype.hasOwnProperty.call(record, name));
      if (entries.length === 0 || collides) out[key] = value;
      else for (const [name, v] of entries) out[name] = v;
    } else {
      out[key] = value as Value;
    }
  }
  return out;
}

/** A record of a response as a row: objects as they are (or flattened); anything else as `{ value }`. */
export function toRow(item: unknown, nested: NestedMode): Row {
  if (!isPlainObject(item)) return { value: item as Value };
  return nested === 'flatten' ? flattenRecord(item) : (item as Row);
}
