import { createHash } from 'node:crypto';
import type { Value } from '@aoe/connectors';
import { textOf } from '../values';

export type MaskStyle = 'hash' | 'redact' | 'partial';

export interface MaskOptions {
  /**
   * Prepended to every value before hashing. Without one, a hash of a
   * low-entropy value (an email, a phone number) can be reversed by trying
   * candidates; configure one per deployment and keep it secret.
   */
  hashSalt?: string;
  /** What `redact` writes instead of the value. Default `[redacted]`. */
  redactWith?: string;
  /** How many trailing characters `partial` keeps. Default 4. */
  keepLast?: number;
}

/** Builds the masking function for one column; null stays null in every style. */
export function masker(style: MaskStyle, options: MaskOptions = {}): (value: Value) => Value {
  switch (style) {
    case 'hash': {
      const salt = options.hashSalt ?? '';
      return (value) => (value === null ? null : createHash('sha256').update(salt).update(textOf(value)).digest('hex'));
    }
    case 'redact': {
      const replacement = options.redactWith ?? '[redacted]';
      return (value) => (value === null ? null : replacement);
    }
    case 'partial': {
      const keep = Math.max(0, options.keepLast ?? 4);
      return (value) => {
        if (value === null) return null;
        const chars = Array.from(textOf(value));
        // A value no longer than what would be kept is hidden entirely: keeping it would reveal it all.
        if (chars.length <= keep) return '*'.repeat(chars.length);
        return '*'.repeat(chars.length - keep) + chars.slice(chars.length - keep).join('');
      };
    }
  }
}
