import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { ConnectorError } from '../connector-error';
import type { PgConnectionFactory, PgQueryResult, PgSession } from '../postgres/pg-connection';
import { toConnectorError } from '../postgres/pg-errors';

/** Where the embedded warehouse keeps its files: `AOE_WAREHOUSE_DIR`, else `<AOE_HOME or .aoe>/warehouse`. */
export function warehouseDirFor(env: NodeJS.ProcessEnv = process.env): string {
  return env.AOE_WAREHOUSE_DIR ?? join(env.AOE_HOME ?? '.aoe', 'warehouse');
}

/** A query's answer: its columns with type names, and its rows. */
export interface WarehouseQueryResult {
  command: string;
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, unknown>>;
  rowCount: number;
}

/** What a quarantine sink needs (the engine's `Queryable`): one statement at a time, outside any load's transaction. */
export interface WarehouseQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number }>;
}

/** A FIFO lock: `acquire()` resolves with the function that releases it. */
class Gate {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => held);
    return ready;
  }
}

type Verb = 'begin' | 'end' | 'other';

function verbOf(sql: string): Verb {
  const word = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase();
  if (word === 'BEGIN' || word === 'START') return 'begin';
  if (word === 'COMMIT' || word === 'ROLLBACK' || word === 'END' || word === 'ABORT') return 'end';
  return 'other';
}

const TYPE_NAMES: Record<number, string> = {
  16: 'boolean',
  17: 'bytea',
  20: 'bigint',
  21: 'smallint',
  23: 'integer',
  25: 'text',
  114: 'json',
  700: 'real',
  701: 'double precision',
  1043: 'varchar',
  1082: 'date',
  1114: 'timestamp',
  1184: 'timestamptz',
  1700: 'numeric',
  2950: 'uuid',
  3802: 'jsonb',
};

const open = new Map<string, { warehouse: Promise<Warehouse>; refs: number }>();

/**
 * The embedded warehouse: PostgreSQL compiled to WASM (PGlite) with its files
 * under `.aoe/warehouse`. One process owns a data directory; inside it, every
 * `open()` of the same directory shares one instance (reference-counted).
 *
 * PGlite is a single session. Loads need transactions of their own, so each
 * "session" handed out here takes the warehouse's gate for the length of its
 * transaction (`BEGIN` … `COMMIT`/`ROLLBACK`) and for each statement outside
 * one: statements of other sessions wait, and never land inside another
 * session's transaction.
 */
export class Warehouse {
  private readonly gate = new Gate();
  private closed = false;

  private constructor(
    private readonly pglite: PGlite,
    /** The data directory, or undefined in memory. */
    readonly dir: string | undefined,
    private readonly key: string,
  ) {}

  /** `warehouse://<dir>`: for messages and load results. */
  get location(): string {
    return `warehouse://${this.dir ?? 'memory'}`;
  }

  /** Opens (or shares) the warehouse in `dir`; `undefined` or `memory` is a fresh in-memory one. */
  static async open(dir: string | undefined = warehouseDirFor()): Promise<Warehouse> {
    const inMemory = dir === undefined || dir === 'memory';
    const key = inMemory ? `memory:${Math.random()}` : resolve(dir);
    const entry = open.get(key);
    if (entry) {
      entry.refs++;
      return entry.warehouse;
    }
    const warehouse = (async () => {
      if (!inMemory) await mkdir(key, { recursive: true });
      try {
        // Loaded with the first warehouse: a command whose target is elsewhere never needs PGlite here.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
        const pglite = await PGlite.create(inMemory ? {} : { dataDir: key });
        return new Warehouse(pglite, inMemory ? undefined : dir, key);
      } catch (error) {
        open.delete(key);
        throw new ConnectorError(
          'resource-exhaustion',
          `cannot open the warehouse in ${key}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    })();
    open.set(key, { warehouse, refs: 1 });
    return warehouse;
  }

  /** Gives this reference back; the last one closes the database. */
  async close(): Promise<void> {
    const entry = open.get(this.key);
    if (entry && --entry.refs > 0) return;
    open.delete(this.key);
    if (this.closed) return;
    this.closed = true;
    const release = await this.gate.acquire();
    try {
      if (!this.pglite.closed) await this.pglite.close();
    } finally {
      release();
    }
  }

  /** One statement, outside any transaction (waits for open ones to end). Errors are ConnectorErrors. */
  async query(sql: string, params: readonly unknown[] = []): Promise<WarehouseQueryResult> {
    const release = await this.gate.acquire();
    try {
      const result = await this.pglite.query<Record<string, unknown>>(sql, [...params]);
      return {
        command: (result as { command?: string }).command ?? '',
        columns: result.fields.map((f) => ({ name: f.name, type: TYPE_NAMES[f.dataTypeID] ?? `oid ${f.dataTypeID}` })),
        rows: result.rows,
        rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length,
      };
    } catch (error) {
      throw toConnectorError(error, { location: this.location });
    } finally {
      release();
    }
  }

  /** Several statements separated by `;` (no parameters); the answer of each. */
  async exec(sql: string): Promise<WarehouseQueryResult[]> {
    const release = await this.gate.acquire();
    try {
      const results = await this.pglite.exec(sql);
      return results.map((result) => ({
        command: (result as { command?: string }).command ?? '',
        columns: result.fields.map((f) => ({ name: f.name, type: TYPE_NAMES[f.dataTypeID] ?? `oid ${f.dataTypeID}` })),
        rows: result.rows,
        rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length,
      }));
    } catch (error) {
      throw toConnectorError(error, { location: this.location });
    } finally {
      release();
    }
  }

  /** Autocommit statements, for the quarantine sink. */
  queryable(): WarehouseQueryable {
    return {
      query: async (text, values = []) => {
        const release = await this.gate.acquire();
        try {
          const result = await this.pglite.query(text, values);
          return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
        } finally {
          release();
        }
      },
    };
  }

  /** Sessions for the PostgreSQL sink (which then runs unchanged on PGlite). */
  connectionFactory(): PgConnectionFactory {
    return {
      location: this.location,
      connect: async () => {
        if (this.closed) throw new ConnectorError('bug', `the warehouse ${this.location} is closed`);
        return new WarehouseSession(this.pglite, this.gate);
      },
      close: async () => {
        // Sessions share the warehouse; it closes with Warehouse.close().
      },
    };
  }
}

/** One logical session over the single PGlite session (see Warehouse). */
class WarehouseSession implements PgSession {
  private holding: (() => void) | undefined;

  constructor(
    private readonly pglite: PGlite,
    private readonly gate: Gate,
  ) {}

  async query<R = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<PgQueryResult<R>> {
    const verb = verbOf(text);
    if (this.holding) {
      try {
        return await this.run<R>(text, params);
      } finally {
        if (verb === 'end') this.letGo();
      }
    }
    const release = await this.gate.acquire();
    if (verb === 'begin') {
      this.holding = release;
      try {
        return await this.run<R>(text, params);
      } catch (error) {
        this.letGo();
        throw error;
      }
    }
    try {
      return await this.run<R>(text, params);
    } finally {
      release();
    }
  }

  private async run<R>(text: string, params: readonly unknown[]): Promise<PgQueryResult<R>> {
    const result = await this.pglite.query<R>(text, [...params]);
    return {
      rows: result.rows,
      rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length,
      fields: result.fields,
    };
  }

  private letGo(): void {
    const release = this.holding;
    this.holding = undefined;
    release?.();
  }

  async release(): Promise<void> {
    if (!this.holding) return;
    // A session given back inside a transaction: end it, so the others can go on.
    await this.pglite.query('ROLLBACK').catch(() => undefined);
    this.letGo();
  }
}
