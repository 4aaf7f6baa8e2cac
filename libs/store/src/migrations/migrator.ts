import type { Umzug } from 'umzug';
import type { Database } from '../database/database';
import { quoteSchema, validateSchemaName } from '../database/schema-name';
import { migrations as allMigrations } from './index';
import type { NamedMigration } from './migration';
import { forgetMigration, recordMigration, SchemaMigrationsStorage } from './schema-migrations.storage';

export interface MigrateOptions {
  schema: string;
  /** Defaults to every migration of this package. */
  migrations?: readonly NamedMigration[];
}

export interface RevertOptions extends MigrateOptions {
  /** Revert down to and including this migration; 0 reverts all. Default: only the last one. */
  to?: string | 0;
}

/**
 * Applies the pending migrations and returns their names. Replicas starting at
 * the same time queue on a lock keyed by the schema, so exactly one applies them.
 */
export async function runMigrations(db: Database, options: MigrateOptions): Promise<string[]> {
  if (await allApplied(db, options)) return [];
  return withMigrator(db, options, async (umzug) => (await umzug.up()).map((m) => m.name));
}

export async function revertMigrations(db: Database, options: RevertOptions): Promise<string[]> {
  const to = options.to;
  return withMigrator(db, options, async (umzug) =>
    (await umzug.down(to === undefined ? {} : { to })).map((m) => m.name),
  );
}

async function withMigrator<T>(
  db: Database,
  options: MigrateOptions,
  fn: (umzug: Umzug<Database>) => Promise<T>,
): Promise<T> {
  const schema = validateSchemaName(options.schema);
  return db.withExclusiveLock(`aoe-store-migrations:${schema}`, async (session) => {
    await createSchemaIfMissing(session, schema);
    const storage = new SchemaMigrationsStorage(session);
    await storage.ensureTable();
    // umzug (and its command-line dependencies) is loaded only when there is something to apply or revert.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Umzug } = require('umzug') as typeof import('umzug');
    const umzug = new Umzug<Database>({
      migrations: (options.migrations ?? allMigrations).map(({ name, module }) => ({
        name,
        // The migration and its record commit together, so a crash between them cannot re-run DDL.
        up: ({ context }) =>
          context.transaction(async (tx) => {
            await module.up(tx);
            await recordMigration(tx, name);
          }),
        down: ({ context }) =>
          context.transaction(async (tx) => {
            await module.down(tx);
            await forgetMigration(tx, name);
          }),
      })),
      context: session,
      storage,
      logger: undefined,
    });
    return fn(umzug);
  });
}

/**
 * The usual case on open: every migration already recorded. Read without the
 * lock; when anything is missing, the locked path decides again.
 */
async function allApplied(db: Database, options: MigrateOptions): Promise<boolean> {
  const table = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [
    `${quoteSchema(options.schema)}.schema_migrations`,
  ]);
  if (!table.rows[0]?.present) return false;
  const applied = new Set(await new SchemaMigrationsStorage(db).executed());
  return (options.migrations ?? allMigrations).every(({ name }) => applied.has(name));
}

/** Checked first because CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege. */
async function createSchemaIfMissing(db: Database, schema: string): Promise<void> {
  const existing = await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (existing.rowCount === 0) await db.query(`CREATE SCHEMA "${schema}"`);
}
