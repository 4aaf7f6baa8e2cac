import { isDate } from 'node:util/types';
import { Worker } from 'node:worker_threads';
import type { Database, QueryResult, SqlParam } from './database';
import { quoteSchema } from './schema-name';
import { PgliteSessionTransaction, runInBlock, transactionBlock, type ExecuteStatement } from './transaction-block';
import { InProcessLocks } from './in-process-locks';

export interface PgliteWorkerDatabaseOptions {
  /** A directory for the data files; omit for an in-memory database. */
  dataDir?: string;
  /** Every unqualified table name resolves in this schema (search_path). */
  schema: string;
}

/**
 * What runs in the worker: PGlite, opened once, answering one message per
 * statement. Plain JavaScript evaluated by the worker rather than a module
 * file, so that it runs the same from the compiled package and from the
 * TypeScript sources under Jest; it needs nothing but PGlite.
 */
const WORKER_SOURCE = `
const { mkdirSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
const failure = (error) => {
  const fields = {};
  for (const [key, value] of Object.entries(error ?? {})) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
  }
  return { ...fields, name: error?.name ?? 'Error', message: error?.message ?? String(error) };
};
(async () => {
  if (workerData.dataDir) mkdirSync(workerData.dataDir, { recursive: true });
  const defaults = PGlite.defaultStartParams;
  const startParams = Array.isArray(defaults) ? [...defaults, ...workerData.settings] : undefined;
  const db = await PGlite.create({
    ...(workerData.dataDir ? { dataDir: workerData.dataDir } : {}),
    ...(startParams ? { startParams } : {}),
  });
  try {
    await db.query(workerData.setup);
  } catch (error) {
    await db.close();
    throw error;
  }
  parentPort.on('message', async ({ id, sql, params, close }) => {
    try {
      if (close) {
        if (!db.closed) await db.close();
        parentPort.postMessage({ id });
        return;
      }
      const result = await db.query(sql, params);
      // rowCount is per statement (SELECT and DML alike); affectedRows only counts DML.
      const rowCount = result.rowCount ?? result.affectedRows ?? result.rows.length;
      parentPort.postMessage({ id, rows: result.rows, rowCount });
    } catch (error) {
      parentPort.postMessage({ id, error: failure(error) });
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((error) => parentPort.postMessage({ openError: failure(error) }));
`;

/**
 * PostgreSQL settings for the store, after PGlite's own start parameters.
 * PGlite zeroes its whole shared memory at every open, on the path of every
 * CLI command, and each page touched for the first time is a page fault (on
 * some virtual machines 10 µs or more each). PostgreSQL's defaults (128MB of
 * shared buffers, lock and process tables for 100 connections) make that
 * 146MB; these make it 6MB. The control-plane store holds a few megabytes and
 * has one session: 2MB of buffers (256 pages) hold what its queries touch.
 */
const STORE_SETTINGS = ['-c', 'shared_buffers=2MB', '-c', 'max_connections=5'];

interface Reply {
  id?: number;
  ready?: true;
  openError?: Record<string, unknown>;
  error?: Record<string, unknown>;
  rows?: unknown[];
  rowCount?: number;
}

/** An error as the worker reported it: message, name and PostgreSQL's fields (code, detail, constraint …). */
function revive(fields: Record<string, unknown>): Error {
  const error = new Error(String(fields.message));
  Object.assign(error, fields);
  return error;
}

/**
 * Rows arrive as the structured clone made them, in Node's main realm; code
 * running in another realm (a Jest test context) would not see their dates as
 * its `Date`, so those are rebuilt in this one.
 */
function localDates(rows: unknown[]): unknown[] {
  for (const row of rows as Array<Record<string, unknown>>) {
    for (const [column, value] of Object.entries(row)) {
      if (value && typeof value === 'object' && !(value instanceof Date) && isDate(value)) {
        row[column] = new Date(value.getTime());
      }
    }
  }
  return rows;
}

/**
 * PGlite in a worker thread. Opening PGlite is about a third of a second of
 * WebAssembly on the thread that does it; here that thread is not the
 * caller's, which meanwhile keeps loading its own code (the CLI's services).
 * Statements are sent in the order they are issued, without waiting for the
 * replies to earlier ones: the worker runs them in the order they arrive
 * (PGlite's query lock is first come, first served), so statements issued
 * together (Promise.all) cost one round trip between the threads, not one
 * each. Like PGlite's own `transaction()`, a transaction holds the session
 * until it ends, and statements issued meanwhile wait for it. A data directory
 * is for one process at a time.
 */
export class PgliteWorkerDatabase implements Database {
  readonly dialect = 'pglite' as const;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  private readonly locks = new InProcessLocks();
  /** Settles when the last transaction issued has ended: what a new statement or transaction waits for. */
  private transactionTail: Promise<unknown> = Promise.resolve();
  /** Statements and transactions not settled yet: what close() waits for. */
  private readonly unsettled = new Set<Promise<unknown>>();
  private nextId = 1;
  private closed = false;
  private failed: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => {
      if (reply.id === undefined) return;
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiting?.resolve(reply);
    });
    const fail = (error: Error) => {
      this.failed ??= error;
      for (const waiting of this.pending.values()) waiting.reject(this.failed);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the PGlite worker exited (code ${code})`)));
  }

  /** Starts the worker at once (before the first await), and resolves once PGlite is open. */
  static open(options: PgliteWorkerDatabaseOptions): Promise<PgliteWorkerDatabase> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // Not the parent's flags (a preloaded module, a profiler): the worker needs PGlite and nothing else.
      execArgv: [],
      workerData: {
        pglite: require.resolve('@electric-sql/pglite'),
        dataDir: options.dataDir,
        settings: STORE_SETTINGS,
        setup: `SET search_path TO ${quoteSchema(options.schema)}`,
      },
    });
    return new Promise<PgliteWorkerDatabase>((resolve, reject) => {
      const onMessage = (reply: Reply) => {
        if (reply.ready) {
          worker.off('message', onMessage);
          worker.off('error', onError);
          resolve(new PgliteWorkerDatabase(worker));
        } else if (reply.openError) {
          worker.off('error', onError);
          void worker.terminate();
          reject(revive(reply.openError));
        }
      };
      const onError = (error: Error) => {
        worker.off('message', onMessage);
        reject(error);
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', (code) => onError(new Error(`the PGlite worker exited (code ${code}) before PGlite opened`)));
    });
  }

  query<T = Record<string, unknown>>(sql: string, params: readonly SqlParam[] = []): Promise<QueryResult<T>> {
    return this.inSession(false, () => this.execute<T>(sql, params));
  }

  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
    return this.inSession(true, () =>
      runInBlock(
        (sql) => this.execute(sql),
        transactionBlock,
        () => fn(new PgliteSessionTransaction(this.execute, 1)),
      ),
    );
  }

  /** One process owns a PGlite database, so an in-process queue per key is the whole lock. */
  async withExclusiveLock<T>(key: string, fn: (session: Database) => Promise<T>): Promise<T> {
    return this.locks.run(key, () => fn(this));
  }

  /** Closes PGlite (after the statements already issued) and ends the worker; safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await Promise.allSettled([...this.unsettled]);
      if (!this.failed) await this.send({ close: true });
    } finally {
      await this.worker.terminate();
    }
  }

  /**
   * Runs fn once every transaction issued before it has ended. Statements
   * issued before it need not have ended: fn's own are sent after theirs. An
   * exclusive fn (a transaction) is waited for by everything issued after it.
   */
  private inSession<T>(exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the PGlite database is closed'));
    const run = this.transactionTail.then(fn, fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    if (exclusive) this.transactionTail = settled;
    this.unsettled.add(settled);
    void settled.then(() => this.unsettled.delete(settled));
    return run;
  }

  private readonly execute: ExecuteStatement = async <T>(sql: string, params: readonly SqlParam[] = []) => {
    const reply = await this.send({ sql, params: [...params] });
    if (reply.error) throw revive(reply.error);
    return { rows: localDates(reply.rows ?? []) as T[], rowCount: reply.rowCount ?? 0 };
  };

  private send(message: { sql: string; params: SqlParam[] } | { close: true }): Promise<Reply> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message });
    });
  }
}
