import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `aoe_<id>_<secret>`: the id finds the row, the secret
 * (32 random bytes) is only ever stored as its sha256. A 256-bit random secret
 * needs no slow hash: there is nothing to brute-force.
 */
export const API_KEY_PREFIX = 'aoe_';

export function newApiKey(): { id: string; secret: string; key: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, key: `${API_KEY_PREFIX}${id}_${secret}` };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const match = /^aoe_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/.exec(key);
  return match ? { id: match[1], secret: match[2] } : undefined;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
