import { createHash } from 'node:crypto';

/**
 * JSON with object keys in code-point order at every depth, so the same value
 * always gives the same text whatever order its keys were built in. Follows
 * JSON.stringify otherwise: `toJSON` is honoured (dates become ISO strings),
 * `undefined` and functions are left out of objects and become `null` in arrays,
 * non-finite numbers become `null`.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value, new Set())) ?? 'null';
}

/** The sha256 (hex) of the value's canonical JSON: the key decisions are cached and audited by. */
export function inputDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonical(value: unknown, ancestors: Set<object>): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) throw new TypeError('canonicalJson: the value contains a cycle');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((item: unknown) => {
        const inner = canonical(item, ancestors);
        return inner === undefined || typeof inner === 'function' || typeof inner === 'symbol' ? null : inner;
      });
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const inner = canonical((value as Record<string, unknown>)[key], ancestors);
      if (inner !== undefined && typeof inner !== 'function' && typeof inner !== 'symbol') out[key] = inner;
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}
