import type { LoadMode } from '@aoe/contracts';
import { quoteIdent } from './pg-identifiers';
import type { SqlCast } from './sql-casts';

/**
 * The SQL of the set-based path over a staging table of raw text columns
 * (`c0`, `c1`, … and `_aoe_seq`, the record's ordinal). Ordinals travel as
 * bigint array parameters, matched by hash (`NOT IN (SELECT unnest(…))`):
 * `castRejected` rows are never converted (their text would make the cast
 * raise) and claim no dedupe key; `rulesRejected` rows claim their key but
 * are not loaded — as on the row path.
 */

/** The staging column that numbers the records in source order (merge's "last one wins", dedupe's first). */
export const SEQUENCE_COLUMN = '_aoe_seq';

export interface StagedColumn {
  name: string;
  /** The quoted staging column. */
  staged: string;
  cast?: SqlCast;
  /** An uncast column the target stores as another type than text: parsed from the text as COPY would. */
  storedAs?: string;
  /**
   * How a merge tells this column's value from the one the target holds, so
   * rows that would not change are not rewritten: `value` where equal values
   * are identical (integers, booleans, dates, timestamps, uuid), `bytes` for
   * text (byte-wise, whatever the column's collation), `binary` where equal
   * values can differ (`0` and `-0`, `1.0` and `1.00`): the incoming value as
   * `type` (the target column's, so `numeric(10,2)` rounds as the upsert
   * would store it) against the stored one, in their binary form (`send`, the
   * type's send function). Absent: the target's type gives no such test, and
   * the merge rewrites every row.
   */
  compare?: { how: 'value' | 'bytes' } | { how: 'binary'; type: string; send: string };
}

export interface StagedSqlSpec {
  staging: string;
  target: string;
  columns: readonly StagedColumn[];
  dedupeKey?: readonly string[];
  mode: LoadMode;
  primaryKey?: readonly string[];
  seq: string;
}

export interface StagedStatement {
  text: string;
  params: unknown[];
}

function value(c: StagedColumn): string {
  if (c.cast) return c.cast.convert(c.staged);
  return c.storedAs ? `${c.staged}::${c.storedAs}` : c.staged;
}

const valueName = (index: number): string => quoteIdent(`v${index}`);

function keyValues(spec: StagedSqlSpec, key: readonly string[]): string {
  return key.map((name) => valueName(spec.columns.findIndex((c) => c.name === name))).join(', ');
}

/** `WHERE` (or `AND`) the ordinal is not in array parameter `$n`; empty when there is nothing to leave out. */
function without(spec: StagedSqlSpec, params: unknown[], ordinals: readonly number[], joiner: string): string {
  if (ordinals.length === 0) return '';
  params.push(ordinals);
  return ` ${joiner} ${spec.seq} NOT IN (SELECT unnest($${params.length}::bigint[]))`;
}

/** Rows whose casts hold, cast, with their ordinal: `(_aoe_seq, v0, v1, …)`. */
function castRows(spec: StagedSqlSpec, params: unknown[], castRejected: readonly number[]): string {
  const values = spec.columns.map((c, i) => `${value(c)} AS ${valueName(i)}`).join(', ');
  return `SELECT ${spec.seq}, ${values} FROM ${spec.staging}${without(spec, params, castRejected, 'WHERE')}`;
}

/** The raw text of the listed records, in source order. */
export function rawRowsSql(spec: StagedSqlSpec, ordinals: readonly number[]): StagedStatement {
  const raw = spec.columns.map((c) => `s.${c.staged}`).join(', ');
  return {
    text:
      `SELECT s.${spec.seq} AS ordinal, ${raw} FROM ${spec.staging} AS s ` +
      `JOIN unnest($1::bigint[]) AS d(ordinal) ON d.ordinal = s.${spec.seq} ORDER BY s.${spec.seq}`,
    params: [ordinals],
  };
}

/** Of `ordinals` (rows whose casts hold), the ones dedupe keeps: the first of their key among the rows whose casts hold. */
export function keptByDedupeSql(
  spec: StagedSqlSpec,
  ordinals: readonly number[],
  castRejected: readonly number[],
): StagedStatement {
  const params: unknown[] = [ordinals];
  const key = keyValues(spec, spec.dedupeKey!);
  const firsts =
    `SELECT ${spec.seq}, row_number() OVER (PARTITION BY ${key} ORDER BY ${spec.seq}) AS n ` +
    `FROM (${castRows(spec, params, castRejected)}) AS cast_rows`;
  return {
    text:
      `SELECT f.${spec.seq} AS ordinal FROM (${firsts}) AS f ` +
      `WHERE f.n = 1 AND f.${spec.seq} IN (SELECT unnest($1::bigint[])) ORDER BY 1`,
    params,
  };
}

/** The rows to load: cast, deduplicated (first by ordinal), without the rejected ones. */
function rowsToLoad(
  spec: StagedSqlSpec,
  params: unknown[],
  castRejected: readonly number[],
  rulesRejected: readonly number[],
): string {
  let rows = castRows(spec, params, castRejected);
  if (spec.dedupeKey) {
    const key = keyValues(spec, spec.dedupeKey);
    rows = `SELECT DISTINCT ON (${key}) * FROM (${rows}) AS cast_rows ORDER BY ${key}, ${spec.seq}`;
  }
  const left = without(spec, params, rulesRejected, 'WHERE');
  return left === '' ? rows : `SELECT * FROM (${rows}) AS kept${left}`;
}

/** Whether the merge's own "last row of each key wins" has nothing left to choose (dedupe on the same key). */
function keysAlreadyUnique(spec: StagedSqlSpec): boolean {
  const dedupe = spec.dedupeKey;
  const key = spec.primaryKey ?? [];
  return dedupe !== undefined && dedupe.length === key.length && dedupe.every((k) => key.includes(k));
}

export interface PublishStatement extends StagedStatement {
  /**
   * `row-count`: the statement's row count is both what was written and what
   * was handed over; `counted`: it returns one row, `written` and `to_load`
   * (a merge that picks one row per key among several).
   */
  counts: 'row-count' | 'counted';
}

/**
 * The publish: INSERT … SELECT (append; replace after TRUNCATE) or the upsert
 * (merge: the last row of each key, by ordinal, ON CONFLICT DO UPDATE).
 * `fresh`: the target was created in this transaction, so a merge cannot
 * conflict and inserts plainly.
 */
export function publishSql(
  spec: StagedSqlSpec,
  castRejected: readonly number[],
  rulesRejected: readonly number[],
  fresh = false,
): PublishStatement {
  const params: unknown[] = [];
  const targetColumns = spec.columns.map((c) => quoteIdent(c.name)).join(', ');
  const values = spec.columns.map((_, i) => valueName(i)).join(', ');
  const source = rowsToLoad(spec, params, castRejected, rulesRejected);
  const insert = `INSERT INTO ${spec.target} (${targetColumns})`;
  if (spec.mode !== 'merge') {
    return { text: `${insert} SELECT ${values} FROM (${source}) AS f`, params, counts: 'row-count' };
  }
  const keys = spec.primaryKey!;
  const updating = spec.columns.some((c) => !keys.includes(c.name));
  const conflict = fresh
    ? ''
    : ` ${onConflictSql(
        keys,
        spec.columns.map((c) => c.name),
      )}`;
  if (!fresh && updating && comparable(spec, keys)) {
    return { text: mergeChangedSql(spec, source, insert, conflict), params, counts: 'counted' };
  }
  if (keysAlreadyUnique(spec) && (updating || fresh)) {
    // One row per key: each is inserted or updates one row, so the row count is what was handed over.
    return { text: `${insert} SELECT ${values} FROM (${source}) AS f${conflict}`, params, counts: 'row-count' };
  }
  const key = keyValues(spec, keys);
  return {
    text:
      `WITH f AS MATERIALIZED (${source}), ins AS (${insert} ` +
      `SELECT DISTINCT ON (${key}) ${values} FROM f ORDER BY ${key}, ${spec.seq} DESC${conflict} RETURNING 1) ` +
      `SELECT (SELECT count(*) FROM ins)::bigint AS written, (SELECT count(*) FROM f)::bigint AS to_load`,
    params,
    counts: 'counted',
  };
}

/** A merge's `ON CONFLICT` clause: the columns outside `keys` take the incoming values (nothing to do without any). */
export function onConflictSql(keys: readonly string[], columns: readonly string[]): string {
  const updates = columns
    .filter((name) => !keys.includes(name))
    .map((name) => `${quoteIdent(name)} = EXCLUDED.${quoteIdent(name)}`);
  return (
    `ON CONFLICT (${keys.map(quoteIdent).join(', ')}) ` +
    (updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING')
  );
}

/** Whether every column outside the key can be compared with the target's current value. */
function comparable(spec: StagedSqlSpec, keys: readonly string[]): boolean {
  return spec.columns.every((c) => keys.includes(c.name) || c.compare !== undefined);
}

/** `cur.<column>` (the target's row) differs from `incoming`, as `compare` says. */
function differs(name: string, compare: NonNullable<StagedColumn['compare']>, incoming: string): string {
  const current = `cur.${quoteIdent(name)}`;
  switch (compare.how) {
    case 'bytes':
      return `${current} COLLATE "C" IS DISTINCT FROM ${incoming} COLLATE "C"`;
    case 'binary':
      return `${compare.send}(${current}) IS DISTINCT FROM ${compare.send}(${incoming}::${compare.type})`;
    case 'value':
      return `${current} IS DISTINCT FROM ${incoming}`;
  }
}

/** A column of an upsert that leaves equal rows alone, and the expression of its incoming value. */
export interface ComparedColumn {
  name: string;
  incoming: string;
  compare?: StagedColumn['compare'];
}

/**
 * The part of an upsert that leaves rows equal to the target's alone:
 * `FROM <rows> LEFT JOIN <target> AS cur ON <keys> WHERE <new key or a value differs>`.
 * Every column outside `keys` must carry its `compare`.
 */
export function changedRowsSql(
  target: string,
  rows: string,
  columns: readonly ComparedColumn[],
  keys: readonly string[],
): string {
  const incoming = (name: string) => columns.find((c) => c.name === name)!.incoming;
  const join = keys.map((k) => `cur.${quoteIdent(k)} = ${incoming(k)}`).join(' AND ');
  const changed = columns.filter((c) => !keys.includes(c.name)).map((c) => differs(c.name, c.compare!, c.incoming));
  return `FROM ${rows} LEFT JOIN ${target} AS cur ON ${join} WHERE cur.${quoteIdent(keys[0])} IS NULL OR ${changed.join(' OR ')}`;
}

/**
 * The merge that writes only what changes: of the rows to load (the last of
 * each key), those whose key is new or whose values differ from the target's
 * go through the upsert; the others are left as they are, with no new row
 * version, index entry or WAL. A re-run over the same data rewrites nothing.
 * `written` still counts every row merged, changed or not (the target holds
 * each as loaded), so the figures match the row path's.
 */
function mergeChangedSql(spec: StagedSqlSpec, source: string, insert: string, conflict: string): string {
  const keys = spec.primaryKey!;
  const compared = spec.columns.map((c, i) => ({ name: c.name, incoming: `p.${valueName(i)}`, compare: c.compare }));
  const values = compared.map((c) => c.incoming).join(', ');
  const key = keyValues(spec, keys);
  // p: the rows to merge, one per key; f: the rows to load (the same when the keys are unique already).
  const rows = keysAlreadyUnique(spec)
    ? `p AS MATERIALIZED (${source})`
    : `f AS MATERIALIZED (${source}), ` +
      `p AS MATERIALIZED (SELECT DISTINCT ON (${key}) * FROM f ORDER BY ${key}, ${spec.seq} DESC)`;
  return (
    `WITH ${rows}, ` +
    `ins AS (${insert} SELECT ${values} ${changedRowsSql(spec.target, 'p', compared, keys)}${conflict}) ` +
    `SELECT (SELECT count(*) FROM p)::bigint AS written, ` +
    `(SELECT count(*) FROM ${keysAlreadyUnique(spec) ? 'p' : 'f'})::bigint AS to_load`
  );
}
