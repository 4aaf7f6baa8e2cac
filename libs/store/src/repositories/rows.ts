import { z } from 'zod';
import { CorruptRowError } from '../errors';

/**
 * Rows come back untyped from either engine; each repository describes its row
 * with zod (contract schemas for jsonb columns) and maps it here, so a row that
 * breaks its contract fails loudly instead of flowing on as a lie.
 */
export type RawRow = Record<string, unknown>;

export function parseRow<S extends z.ZodType>(
  schema: S,
  row: RawRow,
  table: string,
  keyColumns: readonly string[],
): z.output<S> {
  const result = schema.safeParse(row);
  if (result.success) return result.data;
  const key = keyColumns.map((column) => String(row[column])).join('/');
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(row)'}: ${issue.message}`);
  throw new CorruptRowError(table, key, problems);
}

/** timestamptz read back by either engine. */
export const timestamp = z.date();

export function iso(date: Date): string {
  return date.toISOString();
}

export function isoOrUndefined(date: Date | null): string | undefined {
  return date === null ? undefined : date.toISOString();
}

export function orUndefined<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

/** jsonb parameters travel as JSON text ($n::jsonb) so both engines bind them alike. */
export function jsonParam(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** The row an INSERT/UPDATE ... RETURNING must have produced. */
export function firstRow(rows: readonly RawRow[]): RawRow {
  const row = rows[0];
  if (!row) throw new Error('the statement returned no row');
  return row;
}
