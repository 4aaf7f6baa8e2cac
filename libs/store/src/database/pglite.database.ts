import { mkdir } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import type { Database, QueryResult, SqlParam } from './database';
import { quoteSchema } from './schema-name';
import { PgliteSessionTransaction } from './transaction-block';
import { InProcessLocks } from './in-process-locks';

export interface PgliteDatabaseOptions {
  /** A directory for the data files; omit for an in-memory database. */
  dataDir?: string;
  /** Every unqualified table name resolves in this schema (search_path). */
  schema: string;
}

/**
 * PostgreSQL compiled to WASM, in this process. It is a single session, so
 * search_path is set once; a data directory must be opened by one process at a time.
 */
export class PgliteDatabase implements Database {
  readonly dialect = 'pglite' as const;
  private readonly locks = new InProcessLocks();

  private constructor(private readonly pglite: PGlite) {}

  static async open(options: PgliteDatabaseOptions): Promise<PgliteDatabase> {
    const searchPath = quoteSchema(options.schema);
    if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
    // Loaded here: a process whose store runs in a worker thread never needs PGlite itself.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
    const pglite = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
    try {
      await pglite.query(`SET search_path TO ${searchPath}`);
    } catch (error) {
      await pglite.close();
      throw error;
    }
    return new PgliteDatabase(pglite);
  }

  async query<T = Record<string, unknown>>(sql: string, params: readonly SqlParam[] = []): Promise<QueryResult<T>> {
    return toResult<T>(await this.pglite.query<T>(sql, [...params]));
  }

  async transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    return this.pglite.transaction((tx) =>
      fn(new PgliteSessionTransaction(async (sql, params = []) => toResult(await tx.query(sql, [...params])), 1)),
    );
  }

  /** One process owns a PGlite database, so an in-process queue per key is the whole lock. */
  async withExclusiveLock<T>(key: string, fn: (session: Database) => Promise<T>): Promise<T> {
    return this.locks.run(key, () => fn(this));
  }

  async close(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
  }
}

function toResult<T>(result: { rows: T[]; rowCount?: number; affectedRows?: number }): QueryResult<T> {
  // rowCount is per statement (SELECT and DML alike); affectedRows only counts DML.
  return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
}
