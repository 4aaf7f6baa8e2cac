import type { Database, QueryResult, SqlParam } from './database';

/**
 * BEGIN/COMMIT/ROLLBACK (or SAVEPOINT/RELEASE/ROLLBACK TO) around fn, for the
 * engines' sessions that do not manage transactions themselves.
 */
export interface BlockStatements {
  begin: string;
  commit: string;
  rollback: string;
}

export const transactionBlock: BlockStatements = { begin: 'BEGIN', commit: 'COMMIT', rollback: 'ROLLBACK' };

/** depth is how many blocks are already open, so nested savepoints get distinct names. */
export function savepointBlock(depth: number): BlockStatements {
  const name = `aoe_savepoint_${depth}`;
  return { begin: `SAVEPOINT ${name}`, commit: `RELEASE SAVEPOINT ${name}`, rollback: `ROLLBACK TO SAVEPOINT ${name}` };
}

export async function runInBlock<T>(
  execute: (sql: string) => Promise<unknown>,
  block: BlockStatements,
  fn: () => Promise<T>,
): Promise<T> {
  await execute(block.begin);
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    await execute(block.rollback);
    throw error;
  }
  await execute(block.commit);
  return result;
}

/** One statement on a session: what a transaction over that session runs its SQL with. */
export type ExecuteStatement = <T>(sql: string, params?: readonly SqlParam[]) => Promise<QueryResult<T>>;

/**
 * A transaction over a PGlite session (a single session, owned by one
 * process): its statements go straight to the session, a nested transaction
 * is a savepoint, and the process's ownership is the whole exclusive lock.
 * `depth` is how many blocks are open around it.
 */
export class PgliteSessionTransaction implements Database {
  readonly dialect = 'pglite' as const;

  constructor(
    private readonly execute: ExecuteStatement,
    private readonly depth: number,
  ) {}

  query<T = Record<string, unknown>>(sql: string, params: readonly SqlParam[] = []): Promise<QueryResult<T>> {
    return this.execute<T>(sql, params);
  }

  async transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    const inner = new PgliteSessionTransaction(this.execute, this.depth + 1);
    return runInBlock(
      (sql) => this.execute(sql),
      savepointBlock(this.depth),
      () => fn(inner),
    );
  }

  async withExclusiveLock<T>(_key: string, fn: (session: Database) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async close(): Promise<void> {
    throw new Error('a transaction closes with the database that opened it');
  }
}
