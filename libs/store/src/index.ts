export { Store, openStore, type StoreOptions } from './store';
export { Repositories } from './repositories/repositories';
export { systemClock, type Clock } from './clock';
export * from './errors';

export type { Database, DatabaseDialect, QueryResult, SqlParam } from './database/database';
export { PostgresDatabase, type PostgresDatabaseOptions } from './database/postgres.database';
export { PgliteDatabase, type PgliteDatabaseOptions } from './database/pglite.database';
// PGlite in a worker thread or in the store daemon: the same exports as `@aoe/store/pglite-worker`.
export * from './pglite-worker';
export { openDatabase, parseStoreUrl, type DatabaseConnectOptions, type StoreLocation } from './database/open-database';
export { DEFAULT_SCHEMA, validateSchemaName } from './database/schema-name';

export { runMigrations, revertMigrations, type MigrateOptions, type RevertOptions } from './migrations/migrator';
export { migrations } from './migrations/index';
export type { MigrationModule, NamedMigration } from './migrations/migration';

export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from './repositories/pagination';
export * from './repositories/source.repository';
export * from './repositories/profile.repository';
export * from './repositories/pipeline.repository';
export * from './repositories/plan.repository';
export * from './repositories/run.repository';
export * from './repositories/task-run.repository';
export * from './repositories/decision.repository';
export * from './repositories/alert.repository';
export * from './repositories/checkpoint.repository';
export * from './repositories/dead-letter.repository';
export * from './repositories/inbox.repository';
export * from './repositories/api-key.repository';
export * from './repositories/audit.repository';
export * from './repositories/run-stats.repository';
export * from './repositories/recovery-action.repository';
export * from './repositories/circuit-breaker.repository';
