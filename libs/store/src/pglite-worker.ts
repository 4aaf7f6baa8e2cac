/**
 * `@aoe/store/pglite-worker`: what starting an embedded store in a worker thread
 * needs, without the repositories and their contracts (zod), which the caller
 * loads while PGlite starts.
 */
export { redactStoreUrl } from './errors';
export { PgliteWorkerDatabase, type PgliteWorkerDatabaseOptions } from './database/pglite-worker.database';
export { DEFAULT_SCHEMA } from './database/schema-name';
