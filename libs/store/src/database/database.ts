/**
 * The one seam between the repositories and a PostgreSQL engine. Parameters are
 * restricted to JSON-ish scalars so that both engines serialise them the same way:
 * timestamps travel as ISO strings, jsonb as JSON text, bigints as numbers.
 */
export type SqlParam = string | number | boolean | null;

export interface QueryResult<T> {
  rows: T[];
  /** Rows returned by a SELECT or changed by INSERT/UPDATE/DELETE. */
  rowCount: number;
}

export type DatabaseDialect = 'postgres' | 'pglite';

export interface Database {
  readonly dialect: DatabaseDialect;
  /** One statement; values only as $1..$n parameters. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<QueryResult<T>>;
  /** Runs fn in a transaction (a savepoint when already inside one); rolls back if fn throws. */
  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T>;
  /**
   * Runs fn while holding a lock that no other process holding the same key can
   * hold at the same time (a session advisory lock on PostgreSQL). fn gets a
   * database bound to the locking session.
   */
  withExclusiveLock<T>(key: string, fn: (session: Database) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
