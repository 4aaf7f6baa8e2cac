/**
 * A value as JSON that is safe to place between `<data>` markers in a prompt:
 * `<`, `>` and `&` (and the JavaScript line separators) are written as \u
 * escapes, so no string inside the data can close the marker or look like
 * markup. The text is still valid JSON and parses back to the same value.
 */
export function quoteJson(value: unknown): string {
  return (JSON.stringify(value, null, 1) ?? 'null').replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export interface SampleLimits {
  /** Rows sent at most. */
  maxRows: number;
  /** Characters kept of a string value. */
  maxStringLength: number;
  /** Columns kept of a row. */
  maxColumns: number;
}

export const DEFAULT_SAMPLE_LIMITS: SampleLimits = { maxRows: 20, maxStringLength: 200, maxColumns: 100 };

/**
 * Sample rows cut to size for a prompt: a few rows, short strings, and the
 * values of the columns in `withheld` (PII) replaced by a placeholder, so
 * personal data never leaves for a model.
 */
export function boundedSample(
  rows: ReadonlyArray<Record<string, unknown>>,
  withheld: ReadonlyMap<string, string> = new Map(),
  limits: SampleLimits = DEFAULT_SAMPLE_LIMITS,
): Array<Record<string, unknown>> {
  return rows.slice(0, limits.maxRows).map((row) => {
    const out: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row).slice(0, limits.maxColumns)) {
      const kind = withheld.get(column);
      out[column] =
        kind !== undefined && value !== null && value !== undefined ? `[withheld: ${kind}]` : bound(value, limits, 0);
    }
    return out;
  });
}

function bound(value: unknown, limits: SampleLimits, depth: number): unknown {
  if (typeof value === 'string') {
    return value.length > limits.maxStringLength ? `${value.slice(0, limits.maxStringLength)}…` : value;
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 3) return '[nested]';
  if (Array.isArray(value)) return value.slice(0, 10).map((item) => bound(item, limits, depth + 1));
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  return Object.fromEntries(
    Object.entries(value)
      .slice(0, 20)
      .map(([k, v]) => [k, bound(v, limits, depth + 1)]),
  );
}
