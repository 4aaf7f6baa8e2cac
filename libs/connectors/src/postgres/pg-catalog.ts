import type { LogicalType } from '@aoe/contracts';
import type { PgSession } from './pg-connection';
import { qualifiedName } from './pg-identifiers';
import { logicalTypeOf, readsAsJson } from './pg-types';

export interface CatalogColumn {
  name: string;
  logical: LogicalType;
  /** format_type with the modifier: `character varying(20)`, `numeric(10,2)`. */
  declared: string;
  /** format_type without the modifier, for casts that must not round (`numeric`, `timestamp without time zone`). */
  castType: string;
  typname: string;
  category: string;
  /** Whether the type takes a collation (text-like), so `COLLATE "C"` applies. */
  collatable: boolean;
  notNull: boolean;
  /** Has a default, an identity or a generated expression: can be left out of an INSERT. */
  filledByServer: boolean;
  /** Selected through `to_jsonb()` (arrays, composites, ranges). */
  readsAsJson: boolean;
}

export interface CatalogRelation {
  oid: number;
  columns: CatalogColumn[];
  primaryKey?: string[];
  /** Column sets of unique indexes without predicate or expression (the primary key included). */
  uniqueKeys: string[][];
}

interface ColumnRow {
  name: string;
  declared: string;
  cast_type: string;
  typname: string;
  category: string;
  collatable: boolean;
  not_null: boolean;
  filled: boolean;
}

const COLUMNS_SQL = `
SELECT a.attname::text AS name,
       format_type(a.atttypid, a.atttypmod) AS declared,
       format_type(a.atttypid, NULL) AS cast_type,
       bt.typname::text AS typname,
       bt.typcategory::text AS category,
       t.typcollation <> 0 AS collatable,
       a.attnotnull AS not_null,
       (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS filled
  FROM pg_attribute a
  JOIN pg_type t ON t.oid = a.atttypid
  JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
 WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`;

const KEYS_SQL = `
SELECT i.indisprimary AS is_primary,
       json_agg(a.attname::text ORDER BY k.ord) AS columns
  FROM pg_index i
 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
 WHERE i.indrelid = $1 AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
 GROUP BY i.indexrelid, i.indisprimary`;

export function catalogColumn(row: ColumnRow): CatalogColumn {
  const type = { typname: row.typname, category: row.category };
  return {
    name: row.name,
    logical: logicalTypeOf(type),
    declared: row.declared,
    castType: row.cast_type,
    typname: row.typname,
    category: row.category,
    collatable: row.collatable,
    notNull: row.not_null,
    filledByServer: row.filled,
    readsAsJson: readsAsJson(type),
  };
}

/** A table, view or materialized view as pg_catalog describes it; undefined when it does not exist. */
export async function readRelation(
  session: PgSession,
  table: { schema: string; name: string },
): Promise<CatalogRelation | undefined> {
  const found = await session.query<{ oid: number | null }>('SELECT to_regclass($1)::oid::int8::float8 AS oid', [
    qualifiedName(table.schema, table.name),
  ]);
  const oid = found.rows[0]?.oid;
  if (oid === null || oid === undefined) return undefined;
  const columns = (await session.query<ColumnRow>(COLUMNS_SQL, [oid])).rows.map(catalogColumn);
  const keys = (await session.query<{ is_primary: boolean; columns: string[] }>(KEYS_SQL, [oid])).rows;
  return {
    oid,
    columns,
    primaryKey: keys.find((k) => k.is_primary)?.columns,
    uniqueKeys: keys.map((k) => k.columns),
  };
}

/** Whether a schema exists. */
export async function schemaExists(session: PgSession, schema: string): Promise<boolean> {
  const result = await session.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  return result.rows.length > 0;
}

/** Types of result columns (by oid) for a query source: format_type, base type name and category. */
export async function describeTypes(
  session: PgSession,
  oids: readonly number[],
): Promise<Map<number, Omit<ColumnRow, 'name' | 'not_null' | 'filled'>>> {
  const result = await session.query<{ oid: number } & Omit<ColumnRow, 'name' | 'not_null' | 'filled'>>(
    `SELECT t.oid::int8::float8 AS oid,
            format_type(t.oid, NULL) AS declared,
            format_type(t.oid, NULL) AS cast_type,
            bt.typname::text AS typname,
            bt.typcategory::text AS category,
            t.typcollation <> 0 AS collatable
       FROM pg_type t
       JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
      WHERE t.oid = ANY($1::oid[])`,
    [oids.map(String)],
  );
  return new Map(result.rows.map((row) => [row.oid, row]));
}
