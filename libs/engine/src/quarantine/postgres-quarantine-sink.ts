import { Pool } from 'pg';
import { jsonSafe } from '../values';
import type { QuarantineRecord, QuarantineSink } from './quarantine-sink';

/** What the sink needs from a connection: a pg Pool or Client fits. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount?: number | null }>;
}

export interface PostgresQuarantineOptions {
  /** The target schema; the table is `<schema>._aoe_quarantine`. */
  schema: string;
  /** When a record was quarantined; injectable for tests. */
  clock?: () => Date;
  /** Records per INSERT. Default 1,000. */
  chunkSize?: number;
}

export const QUARANTINE_TABLE = '_aoe_quarantine';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Writes quarantined rows to `_aoe_quarantine(run_id, task_id, position,
 * reason, row jsonb, at)` in the target schema, creating it on first use.
 * The primary key (run_id, task_id, position) makes a retried task's writes
 * no-ops. Rows are written outside the load's transaction, as they are found,
 * so a failed load still leaves the evidence of its bad rows.
 */
export class PostgresQuarantineSink implements QuarantineSink {
  private ready: Promise<void> | undefined;
  private readonly table: string;
  private readonly clock: () => Date;
  private readonly chunkSize: number;

  constructor(
    private readonly db: Queryable,
    private readonly options: PostgresQuarantineOptions,
  ) {
    this.table = `${quoteIdent(options.schema)}.${quoteIdent(QUARANTINE_TABLE)}`;
    this.clock = options.clock ?? (() => new Date());
    this.chunkSize = options.chunkSize ?? 1000;
  }

  /** A sink with its own small pool; `close()` ends it. */
  static connect(
    connectionString: string,
    options: PostgresQuarantineOptions,
  ): PostgresQuarantineSink & { close(): Promise<void> } {
    const pool = new Pool({ connectionString, max: 2 });
    const sink = new PostgresQuarantineSink(pool, options) as PostgresQuarantineSink & { close(): Promise<void> };
    sink.close = () => pool.end();
    return sink;
  }

  /** Creates the schema and table if missing; safe to race with another worker. */
  ensureTable(): Promise<void> {
    this.ready ??= this.create().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async create(): Promise<void> {
    // Look first: CREATE … IF NOT EXISTS still needs the CREATE privilege, which a loader may lack on an existing schema.
    const present = await this.db.query('SELECT to_regclass($1) IS NOT NULL AS present', [this.table]);
    if ((present.rows[0] as { present?: boolean } | undefined)?.present) return;
    const statements = [
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.options.schema)}`,
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         run_id text NOT NULL,
         task_id text NOT NULL,
         position text NOT NULL,
         reason text NOT NULL,
         "row" jsonb NOT NULL,
         at timestamptz NOT NULL,
         PRIMARY KEY (run_id, task_id, position)
       )`,
    ];
    for (const sql of statements) {
      try {
        await this.db.query(sql);
      } catch (error) {
        // Two workers creating the same object at once: the loser sees a duplicate (of the table, the
        // schema, the table's row type, or a catalogue key); the object exists either way.
        const code = (error as { code?: string }).code ?? '';
        if (!['23505', '42P07', '42P06', '42710'].includes(code)) throw error;
      }
    }
  }

  async write(records: readonly QuarantineRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.ensureTable();
    const at = this.clock().toISOString();
    for (let start = 0; start < records.length; start += this.chunkSize) {
      const chunk = records.slice(start, start + this.chunkSize);
      await this.db.query(
        `INSERT INTO ${this.table} (run_id, task_id, position, reason, "row", at)
         SELECT r, t, p, why, j, $6::timestamptz
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[]) AS q(r, t, p, why, j)
         ON CONFLICT (run_id, task_id, position) DO NOTHING`,
        [
          chunk.map((r) => r.runId),
          chunk.map((r) => r.taskId),
          chunk.map((r) => r.position),
          chunk.map((r) => jsonSafe(r.reason) as string),
          chunk.map((r) => JSON.stringify(jsonSafe(r.row))),
          at,
        ],
      );
    }
  }
}
