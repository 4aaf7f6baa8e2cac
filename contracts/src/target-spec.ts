import { z } from 'zod';
import { TableRef } from './common';
import { PostgresConnection } from './source-spec';
import { secretRefField } from './secret-ref';

export const OutputFormat = z.enum(['parquet', 'jsonl', 'csv']);

export const TargetSpec = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('postgres'), connection: PostgresConnection, table: TableRef }),
  /** The embedded warehouse under `.aoe/` (PGlite). */
  z.strictObject({ kind: z.literal('warehouse'), table: TableRef }),
  z.strictObject({
    kind: z.literal('s3'),
    bucket: z.string().min(3).max(63),
    prefix: z.string().default(''),
    format: OutputFormat.default('parquet'),
    region: z.string().optional(),
    endpoint: z.url().optional(),
    forcePathStyle: z.boolean().optional(),
    credentials: z.strictObject({ accessKeyId: secretRefField(), secretAccessKey: secretRefField() }).optional(),
  }),
  z.strictObject({ kind: z.literal('directory'), path: z.string().min(1), format: OutputFormat.default('parquet') }),
]);
export type TargetSpec = z.infer<typeof TargetSpec>;

/** What the target's owner allows a plan to do. */
export const TargetPolicy = z.strictObject({
  maskPii: z.boolean().default(false),
  schemaEvolution: z.enum(['additive', 'any']).default('additive'),
});
export type TargetPolicy = z.infer<typeof TargetPolicy>;
