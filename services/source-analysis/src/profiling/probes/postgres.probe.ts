import type { PostgresConnection } from '@aoe/contracts';
import {
  ConnectorError,
  PgClientFactory,
  PostgresSource,
  qualifiedName,
  toConnectorError,
  type PgConnectionFactory,
  type PgSession,
} from '@aoe/connectors';
import type { ProbeContext, ProbeResult } from './source-probe';

export interface PostgresSpec {
  kind: 'postgres';
  connection: PostgresConnection;
  table?: { schema?: string; name: string };
  query?: string;
}

interface RelationFacts {
  oid: number;
  relkind: string;
  reltuples: number;
  relpages: number;
  relationBytes: number;
  totalBytes: number;
}

const RELATION_SQL = `
SELECT c.oid::int8::float8 AS oid, c.relkind::text AS relkind, c.reltuples::float8 AS reltuples,
       c.relpages::float8 AS relpages, pg_relation_size(c.oid)::float8 AS relation_bytes,
       pg_total_relation_size(c.oid)::float8 AS total_bytes
  FROM pg_class c WHERE c.oid = to_regclass($1)`;

/** Unique indexes without predicate or expression whose columns are all NOT NULL: keys in all but name. */
const UNIQUE_KEYS_SQL = `
SELECT json_agg(a.attname::text ORDER BY k.ord) AS columns
  FROM pg_index i
 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
 WHERE i.indrelid = $1 AND i.indisunique AND NOT i.indisprimary AND i.indpred IS NULL AND i.indexprs IS NULL
 GROUP BY i.indexrelid
HAVING bool_and(a.attnotnull)
 ORDER BY count(*), min(i.indexrelid::int8)`;

const STATS_SQL = `SELECT attname::text AS name, n_distinct::float8 AS n_distinct FROM pg_stats WHERE schemaname = $1 AND tablename = $2`;

/** Below this a table is counted exactly when it has never been analysed. */
const EXACT_COUNT_BYTES = 64 * 1024 * 1024;
/** TABLESAMPLE SYSTEM picks whole pages; asking for this many times the rows wanted makes the LIMIT the bound. */
const OVERSAMPLE = 3;
/** PostgreSQL stores a row in about 28 bytes more than its COPY text (tuple header and line pointer). */
const PG_TUPLE_OVERHEAD = 28;
/** Relation kinds TABLESAMPLE works on: tables, materialized views, partitioned tables. */
const SAMPLEABLE = new Set(['r', 'm', 'p']);

async function inReadOnly<T>(factory: PgConnectionFactory, fn: (session: PgSession) => Promise<T>): Promise<T> {
  const session = await factory.connect();
  let broken = true;
  try {
    await session.query('BEGIN READ ONLY');
    const result = await fn(session);
    await session.query('ROLLBACK');
    broken = false;
    return result;
  } finally {
    await session.release(broken);
  }
}

/** The percentage for TABLESAMPLE SYSTEM that yields about `rows` × OVERSAMPLE of `total` rows. */
export function samplePercent(rows: number, total: number): number {
  if (total <= 0) return 100;
  return Math.min(100, Math.max(0.0001, (100 * rows * OVERSAMPLE) / total));
}

/**
 * A PostgreSQL table or query: column types, nullability and keys from
 * pg_catalog (through the connector's discover), plus a few small catalogue
 * queries of its own: the row estimate from `pg_class.reltuples` (an exact
 * `count(*)` for a never-analysed table under 64 MiB), the size from
 * `pg_total_relation_size`, unique indexes over NOT NULL columns, and distinct
 * counts from `pg_stats`. The sample is `TABLESAMPLE SYSTEM (p) LIMIT n` for
 * tables much larger than the sample, else `LIMIT n`: never a full read. A
 * query source is sampled with `LIMIT n` and counted by the planner's estimate
 * (`EXPLAIN`).
 */
export async function probePostgres(
  spec: PostgresSpec,
  context: ProbeContext & { connectionFactory?: PgConnectionFactory },
): Promise<ProbeResult> {
  const factory = context.connectionFactory ?? new PgClientFactory(spec.connection);
  const errorContext = () => ({ location: factory.location, secrets: factory.secrets });
  const maxRows = context.limits.maxRows;
  try {
    if (spec.query) return await probeQuery(spec.query, spec, factory, maxRows);
    const table = { schema: spec.table?.schema ?? 'public', name: spec.table!.name };
    const from = qualifiedName(table.schema, table.name);
    const facts = await inReadOnly(factory, async (session) => {
      const relation = (await session.query<Record<string, number | string>>(RELATION_SQL, [from])).rows[0];
      if (!relation) return undefined;
      const r: RelationFacts = {
        oid: Number(relation.oid),
        relkind: String(relation.relkind),
        reltuples: Number(relation.reltuples),
        relpages: Number(relation.relpages),
        relationBytes: Number(relation.relation_bytes),
        totalBytes: Number(relation.total_bytes),
      };
      const uniqueKeys = (await session.query<{ columns: string[] }>(UNIQUE_KEYS_SQL, [r.oid])).rows.map(
        (row) => row.columns,
      );
      const stats = (await session.query<{ name: string; n_distinct: number }>(STATS_SQL, [table.schema, table.name]))
        .rows;
      const analysed = r.reltuples >= 0 && !(r.reltuples === 0 && r.relationBytes > 0);
      let rowCount: { value: number; from: string } | undefined;
      if (analysed) rowCount = { value: Math.round(r.reltuples), from: 'pg_class.reltuples' };
      else if (r.relationBytes <= EXACT_COUNT_BYTES || !SAMPLEABLE.has(r.relkind)) {
        const counted = await session.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${from}`);
        rowCount = { value: Number(counted.rows[0]?.n ?? 0), from: 'count(*)' };
      }
      return { relation: r, uniqueKeys, stats, rowCount };
    });
    if (!facts) {
      throw new ConnectorError(
        'schema-drift',
        `${factory.location}: table ${table.schema}.${table.name} does not exist or is not visible to this user`,
      );
    }
    const [schema] = await new PostgresSource(spec, { connectionFactory: factory }).discover();
    const { relation, rowCount } = facts;
    // Never analysed and large: the sample's bytes per row and the relation size give the estimate.
    const total = rowCount?.value ?? relation.relationBytes / 100;
    const spread = SAMPLEABLE.has(relation.relkind) && total > maxRows * OVERSAMPLE;
    const sampleSql = spread
      ? `SELECT * FROM ${from} TABLESAMPLE SYSTEM (${samplePercent(maxRows, total).toFixed(6)}) LIMIT ${maxRows}`
      : `SELECT * FROM ${from} LIMIT ${maxRows}`;
    const distinct = new Map<string, number>();
    if (rowCount?.from === 'pg_class.reltuples') {
      for (const stat of facts.stats) {
        const n = Number(stat.n_distinct);
        if (n !== 0 && Number.isFinite(n)) distinct.set(stat.name, Math.round(n > 0 ? n : -n * rowCount.value));
      }
    }
    return {
      sampler: new PostgresSource(
        { kind: 'postgres', connection: spec.connection, query: sampleSql },
        { connectionFactory: factory },
      ),
      declared: schema?.columns,
      primaryKey: schema?.primaryKey,
      uniqueKeys: facts.uniqueKeys,
      format: 'table',
      sizeBytes: relation.totalBytes,
      sizeForEstimate: { bytes: relation.relationBytes, overheadPerRow: PG_TUPLE_OVERHEAD },
      textValues: false,
      spreadSample: spread,
      rowCount,
      distinct,
      close: () => factory.close(),
    };
  } catch (error) {
    await factory.close();
    throw toConnectorError(error, errorContext());
  }
}

async function probeQuery(
  query: string,
  spec: PostgresSpec,
  factory: PgConnectionFactory,
  maxRows: number,
): Promise<ProbeResult> {
  const text = query.trim().replace(/;+\s*$/, '');
  const [schema] = await new PostgresSource(spec, { connectionFactory: factory }).discover();
  const planned = await inReadOnly(factory, async (session) => {
    const plan = await session.query<{ 'QUERY PLAN': Array<{ Plan?: { 'Plan Rows'?: number } }> }>(
      `EXPLAIN (FORMAT JSON) ${text}`,
    );
    return plan.rows[0]?.['QUERY PLAN']?.[0]?.Plan?.['Plan Rows'];
  });
  return {
    sampler: new PostgresSource(
      {
        kind: 'postgres',
        connection: spec.connection,
        query: `SELECT * FROM (${text}) AS _aoe_sample LIMIT ${maxRows}`,
      },
      { connectionFactory: factory },
    ),
    declared: schema?.columns,
    format: 'query',
    textValues: false,
    spreadSample: false,
    ...(planned !== undefined ? { rowCount: { value: Math.round(planned), from: 'the query plan (EXPLAIN)' } } : {}),
    close: () => factory.close(),
  };
}
