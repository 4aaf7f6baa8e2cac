/**
 * `@aoe/store/pglite-worker`: what starting an embedded store (in a worker thread,
 * or in its daemon) needs, without the repositories and their contracts (zod), which the caller
 * loads while PGlite starts.
 */
export { redactStoreUrl } from './errors';
export { PgliteHostDatabase, type PgliteWorkerDatabaseOptions } from './database/pglite-host.database';
export {
  daemonSupported,
  openPgliteDaemonDatabase,
  stopPgliteDaemon,
  type PgliteDaemonDatabase,
  type PgliteDaemonOptions,
} from './database/pglite-daemon';
export { DEFAULT_SCHEMA } from './database/schema-name';
