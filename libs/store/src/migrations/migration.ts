import type { Database } from '../database/database';

/**
 * A migration module exports `up` and `down`. Each runs inside a transaction (so
 * a failed migration leaves nothing behind) on both PostgreSQL 15+ and PGlite:
 * plain SQL only, one statement per query, unqualified table names (search_path
 * points at the store's schema).
 */
export interface MigrationModule {
  up(db: Database): Promise<void>;
  down(db: Database): Promise<void>;
}

export interface NamedMigration {
  /** Recorded in schema_migrations; never rename one that has shipped. */
  name: string;
  module: MigrationModule;
}

export async function runStatements(db: Database, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await db.query(statement);
}
