import type { UmzugStorage } from 'umzug';
import { z } from 'zod';
import type { Database } from '../database/database';

const AppliedMigrationRows = z.array(z.object({ name: z.string() }));

/** umzug's record of applied migrations, as a table inside the store's schema. */
export class SchemaMigrationsStorage implements UmzugStorage<Database> {
  constructor(private readonly db: Database) {}

  async ensureTable(): Promise<void> {
    await this.db.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
        name text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
  }

  async executed(): Promise<string[]> {
    const result = await this.db.query('SELECT name FROM schema_migrations ORDER BY name');
    return AppliedMigrationRows.parse(result.rows).map((row) => row.name);
  }

  /** Idempotent: the migrator already records a migration inside its own transaction. */
  async logMigration({ name }: { name: string }): Promise<void> {
    await recordMigration(this.db, name);
  }

  async unlogMigration({ name }: { name: string }): Promise<void> {
    await forgetMigration(this.db, name);
  }
}

export async function recordMigration(db: Database, name: string): Promise<void> {
  await db.query('INSERT INTO schema_migrations (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
}

export async function forgetMigration(db: Database, name: string): Promise<void> {
  await db.query('DELETE FROM schema_migrations WHERE name = $1', [name]);
}
