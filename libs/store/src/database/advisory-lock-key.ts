import { createHash } from 'node:crypto';

/**
 * A stable signed 64-bit key for pg_advisory_lock, derived from a name, as a
 * decimal string (JavaScript numbers cannot hold every int8).
 */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}
