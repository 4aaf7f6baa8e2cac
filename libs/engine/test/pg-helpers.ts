import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadMode, LogicalType } from '@aoe/contracts';
import { injectFault, PostgresSink, type FaultSpec, type PostgresSinkOptions } from '@aoe/connectors';
import { testDatabaseUrl, uniqueName } from '@aoe/testing';
import { Client } from 'pg';
import type { EngineTaskSpec } from '../src';

/** One PostgreSQL schema and one temp directory per test file, dropped after. */
export class PgFixture {
  url = '';
  admin!: Client;
  schema = '';
  dir = '';

  async setup(prefix: string): Promise<void> {
    this.url = await testDatabaseUrl();
    this.admin = new Client({ connectionString: this.url });
    await this.admin.connect();
    this.schema = uniqueName(prefix);
    await this.admin.query(`CREATE SCHEMA ${q(this.schema)}`);
    this.dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  }

  async teardown(): Promise<void> {
    await this.admin.query(`DROP SCHEMA IF EXISTS ${q(this.schema)} CASCADE`);
    await this.admin.end();
    await rm(this.dir, { recursive: true, force: true });
  }

  table(name: string): string {
    return `${q(this.schema)}.${q(name)}`;
  }

  async query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.admin.query<R>(sql, params)).rows;
  }

  /** Row count and an order-independent digest of every row: what "the same target" means. */
  async checksum(table: string, orderBy = 'id'): Promise<{ count: number; md5: string | null }> {
    const [row] = await this.query<{ count: string; md5: string | null }>(
      `SELECT count(*)::text AS count, md5(string_agg(t::text, '|' ORDER BY t.${q(orderBy)})) AS md5 FROM ${this.table(table)} t`,
    );
    return { count: Number(row.count), md5: row.md5 };
  }

  async tableExists(table: string): Promise<boolean> {
    const [row] = await this.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [
      `${q(this.schema)}.${q(table)}`,
    ]);
    return row.present;
  }

  /** A sink into `table` of this schema, with a short lock wait and optional faults. */
  sink(table: string, faults?: FaultSpec, options: PostgresSinkOptions = {}): PostgresSink {
    return new PostgresSink(
      { connection: { url: this.url }, table: { schema: this.schema, name: table } },
      { lockTimeoutMs: 10_000, ...(faults ? { faults: injectFault(faults) } : {}), ...options },
    );
  }

  async writeFile(name: string, text: string): Promise<string> {
    const path = join(this.dir, name);
    await writeFile(path, text);
    return path;
  }
}

export function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A CSV of `n` orders: id, customer, email, amount (text with two decimals), status, updated_at. */
export function ordersCsv(n: number, start = 1, options: { bad?: number[]; tag?: string } = {}): string {
  const lines = ['id,customer,email,amount,status,updated_at'];
  for (let i = start; i < start + n; i++) {
    const amount = options.bad?.includes(i) ? 'n/a' : (((i * 37) % 1000) + 0.25).toFixed(2);
    const day = String(1 + (i % 28)).padStart(2, '0');
    lines.push(
      `${i},Customer ${i}${options.tag ?? ''},user${i}@example.com,${amount},${i % 3 === 0 ? 'shipped' : 'open'},2024-01-${day}T10:00:00Z`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export interface KeyedCsvPlanOptions {
  pipelineId: string;
  /** The cast columns, in order (the key `id` first). */
  casts: ReadonlyArray<readonly [column: string, to: LogicalType]>;
  mode?: LoadMode;
  /** Dedupe on `id`, with its unique rule (default true). */
  dedupe?: boolean;
  onFailure?: 'fail' | 'quarantine';
  minRows?: number;
  maxRows: number;
  batchSize: number;
}

/** The planner's shape for a keyed CSV: casts, dedupe on the key, key and e-mail rules, row count, merge on `id`. */
export function keyedCsvPlan(options: KeyedCsvPlanOptions): EngineTaskSpec {
  const mode = options.mode ?? 'merge';
  const dedupe = options.dedupe !== false;
  return {
    pipelineId: options.pipelineId,
    extract: { mode: 'full' },
    stages: [
      {
        kind: 'transform',
        operations: [
          ...options.casts.map(([column, to]) => ({ op: 'cast' as const, column, to })),
          ...(dedupe ? [{ op: 'dedupe' as const, key: ['id'] }] : []),
        ],
      },
      {
        kind: 'validate',
        rules: [
          { rule: 'not-null', column: 'id' },
          ...(dedupe ? [{ rule: 'unique' as const, columns: ['id'] }] : []),
          { rule: 'pattern', column: 'email', regex: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' },
          { rule: 'row-count', min: options.minRows ?? 1, max: options.maxRows },
        ],
        onFailure: options.onFailure ?? 'quarantine',
      },
    ],
    load: { mode, ...(mode === 'merge' ? { primaryKey: ['id'] } : {}) },
    batchSize: options.batchSize,
  };
}
