import { isDate } from 'node:util/types';
import { Worker } from 'node:worker_threads';
import type { Database, QueryResult, SqlParam } from './database';
import { quoteSchema } from './schema-name';
import { PgliteSessionTransaction, runInBlock, transactionBlock, type ExecuteStatement } from './transaction-block';
import { InProcessLocks } from './in-process-locks';
import { STORE_SETTINGS, WORKER_SOURCE } from './pglite-host.source';

export interface PgliteWorkerDatabaseOptions {
  /** A directory for the data files; omit for an in-memory database. */
  dataDir?: string;
  /** Every unqualified table name resolves in this schema (search_path). */
  schema: string;
}

/** An error as the host reported it: message, name and PostgreSQL's fields (code, detail, constraint …). */
export function revive(fields: Record<string, unknown>): Error {
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
 * Where PGlite runs, as the database sees it: messages out, replies in. A
 * worker thread is the host's only client and owns it (closing the database
 * closes PGlite); a store daemon outlives its clients.
 */
export interface HostChannel {
  /** Whether ending this database closes PGlite too (a worker), or leaves it to the next client (a daemon). */
  readonly ownsHost: boolean;
  post(message: HostMessage): void;
  onReply(listener: (reply: Reply) => void): void;
  /** The host is gone: it failed, exited, or closed the connection. */
  onLost(listener: (error: Error) => void): void;
  /** Lets go of the host (after the last reply): ends the worker thread, or the connection to the daemon. */
  end(): Promise<void>;
}

export type HostMessage = { id: number; sql: string; params: SqlParam[] } | { id: number; close: true };

export interface Reply {
  id?: number;
  error?: Record<string, unknown>;
  rows?: unknown[];
  rowCount?: number;
}

interface WorkerReply extends Reply {
  ready?: true;
  openError?: Record<string, unknown>;
}

/**
 * PGlite in a worker thread or in a store daemon (pglite-daemon.ts). Opening
 * PGlite is about a third of a second of WebAssembly on the thread that does
 * it; here that thread is not the caller's, which meanwhile keeps loading its
 * own code (the CLI's services). Statements are sent in the order they are
 * issued, without waiting for the replies to earlier ones: the host runs them
 * in the order they arrive, so statements issued together (Promise.all) cost
 * one round trip, not one each. Like PGlite's own `transaction()`, a
 * transaction holds the session until it ends, and statements issued meanwhile
 * wait for it. A data directory is for one process at a time.
 */
export class PgliteHostDatabase implements Database {
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

  constructor(private readonly channel: HostChannel) {
    channel.onReply((reply) => {
      if (reply.id === undefined) return;
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiting?.resolve(reply);
    });
    channel.onLost((error) => {
      this.failed ??= error;
      for (const waiting of this.pending.values()) waiting.reject(this.failed);
      this.pending.clear();
    });
  }

  /** Starts a worker thread at once (before the first await), and resolves once PGlite is open in it. */
  static openInWorker(options: PgliteWorkerDatabaseOptions): Promise<PgliteHostDatabase> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // Not the parent's flags (a preloaded module, a profiler): the worker needs PGlite and nothing else.
      execArgv: [],
      workerData: {
        pglite: require.resolve('@electric-sql/pglite'),
        dataDir: options.dataDir,
        settings: STORE_SETTINGS,
        setup: searchPathSetup(options.schema),
      },
    });
    return new Promise<PgliteHostDatabase>((resolve, reject) => {
      const onMessage = (reply: WorkerReply) => {
        if (reply.ready) {
          worker.off('message', onMessage);
          worker.off('error', onError);
          resolve(new PgliteHostDatabase(workerChannel(worker)));
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

  /** Closes PGlite when this database owns it (a worker), or leaves it to the daemon's next client; safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await Promise.allSettled([...this.unsettled]);
      if (!this.failed && this.channel.ownsHost) await this.send({ close: true });
    } finally {
      await this.channel.end();
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
      this.channel.post({ id, ...message });
    });
  }
}

/** The statement that makes every unqualified name resolve in the store's schema. */
export function searchPathSetup(schema: string): string {
  return `SET search_path TO ${quoteSchema(schema)}`;
}

function workerChannel(worker: Worker): HostChannel {
  return {
    ownsHost: true,
    post: (message) => worker.postMessage(message),
    onReply: (listener) => worker.on('message', listener),
    onLost: (listener) => {
      worker.on('error', listener);
      worker.on('exit', (code) => listener(new Error(`the PGlite worker exited (code ${code})`)));
    },
    end: async () => {
      await worker.terminate();
    },
  };
}
