/*
 * The set-based path's side of a PostgresSink load: whether the target fits,
 * the field checks run while the bytes stream, and the judging of the rows
 * they could not vouch for.
 */
import type { ColumnSchema, Row, WriteOptions } from '../connector';
import type { PassThroughReader } from '../pass-through';
import type { StagedRow, StagedTransform } from '../staged-transform';
import type { CatalogRelation } from './pg-catalog';
import type { PgSession } from './pg-connection';
import { quoteIdent } from './pg-identifiers';
import { pgTypeFor } from './pg-types';
import { fieldEncoder } from './copy-text';
import { columnReader } from './row-access';
import { sqlCastFor } from './sql-casts';
import type { CsvFieldChecker } from '../formats/csv-field-checks';
import { keptByDedupeSql, rawRowsSql, SEQUENCE_COLUMN, type StagedColumn, type StagedSqlSpec } from './staged-sql';

/** A staging column of raw text, positional (`c0`, `c1`, …) so any source name fits. */
export function textColumn(column: ColumnSchema, index: number) {
  return {
    staged: quoteIdent(`c${index}`),
    source: column.name,
    read: columnReader(column.name),
    encode: fieldEncoder('string'),
  };
}

/**
 * Why the target's columns would take the values differently than the row
 * path does, if they would: a cast column the target already has with another
 * type, an uncast column stored as a length-limited type, or a dedupe key
 * compared as something other than its text.
 */
export function stagedProblem(
  incoming: readonly ColumnSchema[],
  relation: CatalogRelation | undefined,
  retyped: ReadonlySet<string>,
  transform: StagedTransform,
  reader: PassThroughReader,
): string | undefined {
  if (!reader.valuesAreText || reader.format.kind !== 'csv') return 'the set-based path casts CSV text';
  if (!reader.positionOf) return 'the data cannot name a row’s position';
  const casts = new Map(transform.casts.map((c) => [c.column, c.to]));
  const types = storedTypes(incoming, relation, retyped);
  for (const column of incoming) {
    const current = retyped.has(column.name) ? undefined : relation?.columns.find((c) => c.name === column.name);
    const to = casts.get(column.name);
    if (to !== undefined) {
      if (!sqlCastFor(to)) return `casts to ${to} are not done in SQL`;
      if (current && current.logical !== to) return `column "${column.name}" is ${current.declared} in the target`;
      continue;
    }
    const type = types.get(column.name)!;
    // An explicit cast to varchar(n) would truncate where the row path's COPY refuses.
    if (type.includes('(')) return `column "${column.name}" is ${type} in the target`;
    if (type !== 'text' && transform.dedupeKey?.includes(column.name)) {
      return `dedupe key column "${column.name}" is not cast (the row path compares its text)`;
    }
  }
  return undefined;
}

/** Types whose equal values are identical, so `IS DISTINCT FROM` tells a change. */
const COMPARED_AS_VALUES = new Set(['int2', 'int4', 'int8', 'bool', 'date', 'timestamp', 'timestamptz', 'uuid']);
/** Types whose equal values can differ (`0` and `-0`, `1.0` and `1.00`), by their send function: compared in binary. */
const SEND_FUNCTIONS: Record<string, string> = { float4: 'float4send', float8: 'float8send', numeric: 'numeric_send' };

/**
 * How a merge compares a target column of this type (its base type, and as
 * declared) with an incoming value (staged-sql.ts, `StagedColumn.compare`);
 * undefined for any other type (json has no equality; arrays, citext,
 * intervals whose equal values differ…): the merge then rewrites every row,
 * as it always did.
 */
export function comparisonOf(typname: string, declared: string): StagedColumn['compare'] {
  if (COMPARED_AS_VALUES.has(typname)) return { how: 'value' };
  if (typname === 'text' || typname === 'varchar') return { how: 'bytes' };
  const send = SEND_FUNCTIONS[typname];
  return send ? { how: 'binary', type: declared, send } : undefined;
}

/** The type each column is stored as: the target's own, or the one the sink creates. */
function storedTypes(
  incoming: readonly ColumnSchema[],
  relation: CatalogRelation | undefined,
  retyped: ReadonlySet<string>,
): Map<string, string> {
  const existing = new Map((relation?.columns ?? []).map((c) => [c.name, c]));
  return new Map(
    incoming.map((column) => {
      const current = retyped.has(column.name) ? undefined : existing.get(column.name);
      return [column.name, current ? current.declared : pgTypeFor(column.type)];
    }),
  );
}

export function stagedSqlSpec(
  plan: { staging: string; target: string; columns: readonly ColumnSchema[]; primaryKey?: readonly string[] },
  options: WriteOptions,
  transform: StagedTransform,
  relation: CatalogRelation | undefined,
  retyped: ReadonlySet<string>,
): StagedSqlSpec {
  const casts = new Map(transform.casts.map((c) => [c.column, c.to]));
  const types = storedTypes(plan.columns, relation, retyped);
  const compare = (name: string) => {
    const current = retyped.has(name) ? undefined : relation?.columns.find((c) => c.name === name);
    const how = current && comparisonOf(current.typname, current.declared);
    return how ? { compare: how } : {};
  };
  return {
    staging: plan.staging,
    target: plan.target,
    columns: plan.columns.map((column, index) => {
      const to = casts.get(column.name);
      const staged = textColumn(column, index).staged;
      const type = types.get(column.name)!;
      if (to) return { name: column.name, staged, cast: sqlCastFor(to)!, ...compare(column.name) };
      return { name: column.name, staged, ...(type === 'text' ? {} : { storedAs: type }), ...compare(column.name) };
    }),
    dedupeKey: transform.dedupeKey,
    mode: options.mode,
    primaryKey: plan.primaryKey,
    seq: quoteIdent(SEQUENCE_COLUMN),
  };
}

export type Judged = { castRejected: number[]; rulesRejected: number[] } | { fallback: string };

/** Ordinals per query while fetching doubtful rows. */
const SLICE = 10_000;

/**
 * Hands the rows the checks could not vouch for to the transform, in source
 * order: first every row with a doubtful cast (rejected, or the task goes
 * back to the row path when one does convert), then, of the rows whose casts
 * hold but whose rules are in doubt, those dedupe keeps.
 */
export async function judgeStaged(
  session: PgSession,
  sql: StagedSqlSpec,
  transform: StagedTransform,
  reader: PassThroughReader,
  checker: CsvFieldChecker,
): Promise<Judged> {
  const toStaged = (record: Record<string, unknown>): StagedRow => {
    const ordinal = Number(record.ordinal);
    const row: Row = {};
    sql.columns.forEach((c, i) => (row[c.name] = (record[`c${i}`] as string | null) ?? null));
    return { ordinal, position: reader.positionOf!(ordinal), row };
  };
  const rowsOf = async (ordinals: readonly number[], each: (rows: StagedRow[]) => Promise<boolean>) => {
    for (let at = 0; at < ordinals.length; at += SLICE) {
      const statement = rawRowsSql(sql, ordinals.slice(at, at + SLICE));
      const { rows } = await session.query<Record<string, unknown>>(statement.text, statement.params);
      if (!(await each(rows.map(toStaged)))) return;
    }
  };
  const castDoubts = checker.doubtful.filter((o) => checker.castDoubts.has(o));
  const ruleDoubts = checker.doubtful.filter((o) => !checker.castDoubts.has(o));
  const castRejected: number[] = [];
  let fallback: string | undefined;
  await rowsOf(castDoubts, async (rows) => {
    const verdict = await transform.judgeCasts(rows);
    castRejected.push(...verdict.rejected);
    fallback = verdict.needsRowPath;
    return fallback === undefined;
  });
  if (fallback !== undefined) return { fallback };
  let kept = ruleDoubts;
  if (kept.length > 0 && sql.dedupeKey) {
    await session.query('BEGIN');
    try {
      await session.query(`SET LOCAL TimeZone = 'UTC'`);
      const statement = keptByDedupeSql(sql, ruleDoubts, castRejected);
      kept = (await session.query<{ ordinal: string }>(statement.text, statement.params)).rows.map((r) =>
        Number(r.ordinal),
      );
      await session.query('COMMIT');
    } catch (error) {
      await session.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
  const rulesRejected: number[] = [];
  await rowsOf(kept, async (rows) => {
    rulesRejected.push(...(await transform.judgeRules(rows)));
    return true;
  });
  return { castRejected, rulesRejected };
}
