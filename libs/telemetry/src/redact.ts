/**
 * Secrets never reach logs. Keys that name a credential have their values
 * replaced, and strings are scrubbed of URL passwords and bearer tokens, so a
 * secret that slipped into an error message is hidden too.
 */
const SECRET_KEY = /pass(word|wd)?$|secret|token|api[-_]?key|authorization|credential|private[-_]?key|cookie/i;
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*):([^@/?#\s]+)@/gi;
const BEARER = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi;
export const REDACTED = '[redacted]';

export function scrubText(text: string): string {
  return text.replace(URL_PASSWORD, `$1:${REDACTED}@`).replace(BEARER, `$1 ${REDACTED}`);
}

/** A copy of `value` with secrets removed; cycles and depth are bounded. */
export function redactSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[…]';
  seen.add(value);
  if (value instanceof Error) {
    return { type: value.name, message: scrubText(value.message), stack: value.stack && scrubText(value.stack) };
  }
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && !isSecretReference(inner) ? REDACTED : redactSecrets(inner, depth + 1, seen);
  }
  return out;
}

/** `{ env: "PG_PASSWORD" }` names where a secret lives; it is not itself a secret. */
function isSecretReference(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'env' || keys[0] === 'file');
}
