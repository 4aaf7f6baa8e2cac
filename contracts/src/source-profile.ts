import { z } from 'zod';
import { Id, Identifier, IsoDateTime, LogicalType } from './common';

export const PiiKind = z.enum(['email', 'phone', 'card-number', 'person-name', 'ip-address', 'national-id', 'address']);
export type PiiKind = z.infer<typeof PiiKind>;

export const PiiHint = z.strictObject({
  kind: PiiKind,
  /** What suggested it: the column's name, its values, or both. */
  evidence: z.enum(['name', 'values', 'name-and-values']),
  confidence: z.number().min(0).max(1),
});

export const ColumnProfile = z.strictObject({
  name: Identifier,
  type: LogicalType,
  /** The type the catalogue declares (pg_catalog, Parquet schema), when there is one. */
  declaredType: z.string().optional(),
  nullable: z.boolean(),
  nullRate: z.number().min(0).max(1),
  distinctEstimate: z.number().int().min(0),
  min: z.union([z.string(), z.number()]).optional(),
  max: z.union([z.string(), z.number()]).optional(),
  piiHints: z.array(PiiHint).default([]),
});
export type ColumnProfile = z.infer<typeof ColumnProfile>;

export const SourceProfile = z.strictObject({
  sourceId: Id,
  kind: z.enum(['postgres', 's3', 'http-api', 'file']),
  profiledAt: IsoDateTime,
  columns: z.array(ColumnProfile),
  primaryKeyCandidates: z.array(z.array(Identifier).min(1)),
  /** True when a key candidate is confirmed by a constraint of the source. */
  primaryKeyConfirmed: z.boolean().default(false),
  cursorCandidates: z.array(Identifier),
  rowCountEstimate: z.number().int().min(0),
  sampleSize: z.number().int().min(0),
  sizeBytes: z.number().int().min(0).optional(),
  format: z.enum(['table', 'query', 'csv', 'jsonl', 'parquet', 'json']).optional(),
  encoding: z.string().optional(),
  delimiter: z.string().optional(),
  compression: z.enum(['none', 'gzip']).optional(),
  growth: z.strictObject({ rowsPerDay: z.number().min(0).optional(), since: IsoDateTime.optional() }).optional(),
  durationMs: z.number().min(0),
});
export type SourceProfile = z.infer<typeof SourceProfile>;
