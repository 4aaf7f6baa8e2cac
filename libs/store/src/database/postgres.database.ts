import type { CustomTypesConfig, Pool, PoolClient } from 'pg';
import type { Database, QueryResult, SqlParam } from './database';
import { advisoryLockKey } from './advisory-lock-key';
import { validateSchemaName } from './schema-name';
import { runInBlock, savepointBlock, transactionBlock } from './transaction-block';

export interface PostgresDatabaseOptions {
  /** postgres://user@host:port/database */
  url: string;
  /** Every unqualified table name resolves in this schema (search_path). */
  schema: string;
  poolSize?: number;
  applicationName?: string;
  connectionTimeoutMillis?: number;
  /**
   * How long an unused pooled connection stays open (default 60 s). Services
   * are polled in bursts; pg's 10 s default closes the pool between bursts, and
   * the next burst then waits for new server connections.
   */
  idleTimeoutMillis?: number;
  /** Errors of idle pooled connections (the pool drops the connection either way). */
  onIdleError?: (error: Error) => void;
}

const INT8_OID = 20;

/** node-postgres, loaded when a PostgreSQL store is opened: the embedded CLI (PGlite) never needs it. */
function pg(): typeof import('pg') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('pg') as typeof import('pg');
}

/** int8 as a number, as PGlite returns it, instead of pg's default string. */
const typeParsers: CustomTypesConfig = {
  getTypeParser: (oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg().types.getTypeParser(oid, format),
};

/** PostgreSQL through a node-postgres pool. */
export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  private readonly pool: Pool;

  constructor(options: PostgresDatabaseOptions) {
    const schema = validateSchemaName(options.schema);
    this.pool = new (pg().Pool)({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      application_name: options.applicationName ?? 'aoe-store',
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
      idleTimeoutMillis: options.idleTimeoutMillis ?? 60_000,
      options: `-c search_path=${schema}`,
      types: typeParsers,
    });
    const onIdleError = options.onIdleError ?? (() => undefined);
    this.pool.on('error', onIdleError);
  }

  async query<T = Record<string, unknown>>(sql: string, params: readonly SqlParam[] = []): Promise<QueryResult<T>> {
    return toResult<T>(await this.pool.query(sql, [...params]));
  }

  async transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    return this.withClient((client) => new PostgresSession(client, 0).transaction(fn));
  }

  async withExclusiveLock<T>(key: string, fn: (session: Database) => Promise<T>): Promise<T> {
    return this.withClient((client) => new PostgresSession(client, 0).withExclusiveLock(key, fn));
  }

  /** Safe to call more than once. */
  async close(): Promise<void> {
    if (this.pool.ended || this.pool.ending) return;
    await this.pool.end();
  }

  /**
   * A session that ended in an error is discarded rather than returned to the pool,
   * so a half-open transaction or a held advisory lock can never leak to a later user.
   */
  private async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      const result = await fn(client);
      client.release();
      return result;
    } catch (error) {
      client.release(true);
      throw error;
    }
  }
}

/**
 * One pooled connection's statements, one at a time, in the order they were
 * issued: a transaction's repositories may issue several together
 * (Promise.all), and pg, which used to queue them itself, now deprecates that
 * (a warning on stderr).
 */
class SerialClient {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly client: PoolClient) {}

  query(sql: string, params: readonly SqlParam[] = []): Promise<{ rows: unknown[]; rowCount: number | null }> {
    const run = () => this.client.query(sql, [...params]);
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** One pooled connection; depth counts the transaction blocks open on it. */
class PostgresSession implements Database {
  readonly dialect = 'postgres' as const;
  private readonly client: SerialClient;

  constructor(
    client: PoolClient | SerialClient,
    private readonly depth: number,
  ) {
    this.client = client instanceof SerialClient ? client : new SerialClient(client);
  }

  async query<T = Record<string, unknown>>(sql: string, params: readonly SqlParam[] = []): Promise<QueryResult<T>> {
    return toResult<T>(await this.client.query(sql, params));
  }

  async transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    const block = this.depth === 0 ? transactionBlock : savepointBlock(this.depth);
    const inner = new PostgresSession(this.client, this.depth + 1);
    return runInBlock(
      (sql) => this.client.query(sql),
      block,
      () => fn(inner),
    );
  }

  async withExclusiveLock<T>(key: string, fn: (session: Database) => Promise<T>): Promise<T> {
    const lockKey = advisoryLockKey(key);
    await this.client.query('SELECT pg_advisory_lock($1::bigint)', [lockKey]);
    try {
      return await fn(this);
    } finally {
      await this.client.query('SELECT pg_advisory_unlock($1::bigint)', [lockKey]);
    }
  }

  async close(): Promise<void> {
    throw new Error('a transaction or lock session closes with the database that opened it');
  }
}

function toResult<T>(result: { rows: unknown[]; rowCount: number | null }): QueryResult<T> {
  return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
}
