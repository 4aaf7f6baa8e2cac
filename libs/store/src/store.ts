import { systemClock, type Clock } from './clock';
import type { Database, DatabaseDialect } from './database/database';
import { openDatabase } from './database/open-database';
import { DEFAULT_SCHEMA, validateSchemaName } from './database/schema-name';
import { runMigrations } from './migrations/migrator';
import { Repositories } from './repositories/repositories';

export interface StoreOptions {
  /** `postgres://...` (mesh), `pglite://<dir>` or `pglite://memory` (embedded). */
  url: string;
  /** The schema holding every table. Default `aoe`. */
  schema?: string;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  applicationName?: string;
  /** `pglite://` only: PGlite in a worker thread (the CLI opens the store while it loads the services). */
  worker?: boolean;
  clock?: Clock;
}

/**
 * The control-plane store: repositories over PostgreSQL or PGlite, migrated on
 * open. Services hold one per process and share it between handlers.
 */
export class Store extends Repositories {
  private constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    readonly schema: string,
  ) {
    super(db, clock);
  }

  static async open(options: StoreOptions): Promise<Store> {
    const schema = validateSchemaName(options.schema ?? DEFAULT_SCHEMA);
    const db = await openDatabase({
      url: options.url,
      schema,
      poolSize: options.poolSize,
      applicationName: options.applicationName,
      worker: options.worker,
    });
    return Store.fromDatabase(db, { ...options, schema });
  }

  /**
   * A store over a database opened by the caller (whose search_path is the
   * schema). The store owns it from now on: close() closes it.
   */
  static async fromDatabase(
    db: Database,
    options: Omit<StoreOptions, 'url' | 'poolSize' | 'applicationName'> = {},
  ): Promise<Store> {
    try {
      const schema = validateSchemaName(options.schema ?? DEFAULT_SCHEMA);
      if (options.migrate ?? true) await runMigrations(db, { schema });
      return new Store(db, options.clock ?? systemClock, schema);
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  get dialect(): DatabaseDialect {
    return this.db.dialect;
  }

  /** Runs fn with repositories bound to one transaction; it commits when fn resolves. */
  async transaction<T>(fn: (repositories: Repositories) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new Repositories(tx, this.clock)));
  }

  /** Applies pending migrations; returns their names (none when up to date). */
  async migrate(): Promise<string[]> {
    return runMigrations(this.db, { schema: this.schema });
  }

  /** Resolves when the database answers; for readiness probes. */
  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** The one call a service makes to get its store. */
export function openStore(options: StoreOptions): Promise<Store> {
  return Store.open(options);
}
