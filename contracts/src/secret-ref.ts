import { z } from 'zod';

/**
 * A credential is never carried inline: a message names where the secret lives
 * (an environment variable or a file) and the process that needs it resolves it.
 */
export const SecretRef = z
  .union([
    z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') }),
    z.strictObject({ file: z.string().min(1) }),
  ])
  .describe('A reference to a secret: { "env": "NAME" } or { "file": "/path" }. Inline secrets are refused.');
export type SecretRef = z.infer<typeof SecretRef>;

const INLINE_SECRET_MESSAGE =
  'credentials must be a reference ({ "env": "NAME" } or { "file": "/path" }), never inline';

/** A SecretRef field whose error says why a plain string is refused. */
export const secretRefField = () => z.union(SecretRef.options, { error: INLINE_SECRET_MESSAGE });

/** A URL must not embed a password (`scheme://user:secret@host`). */
export function hasInlinePassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}
