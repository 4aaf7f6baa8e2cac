/**
 * Reads a dotted path (`data.items`, `meta.next_cursor`, `results.0.id`) from
 * parsed JSON. A key that itself holds a dot is matched whole first
 * (`{"data.items": …}`). Returns undefined when any step is missing.
 */
export function getPath(value: unknown, path: string): unknown {
  if (path === '' || path === '.') return value;
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(record, path)) return record[path];
  const dot = path.indexOf('.');
  if (dot === -1) return undefined;
  const head = path.slice(0, dot);
  if (!Object.prototype.hasOwnProperty.call(record, head)) return undefined;
  return getPath(record[head], path.slice(dot + 1));
}
