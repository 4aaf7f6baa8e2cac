import type { Database } from './database';
import { PgliteDatabase } from './pglite.database';
import { PgliteHostDatabase } from './pglite-host.database';
import { PostgresDatabase } from './postgres.database';
import { UnsupportedStoreUrlError } from '../errors';

export interface DatabaseConnectOptions {
  /** `postgres://...`, `postgresql://...`, `pglite://<dir>` or `pglite://memory` */
  url: string;
  schema: string;
  poolSize?: number;
  applicationName?: string;
  /** `pglite://` only: run PGlite in a worker thread, so that opening it does not hold up this thread. */
  worker?: boolean;
}

export type StoreLocation = { engine: 'postgres'; url: string } | { engine: 'pglite'; dataDir: string | undefined };

const PGLITE_PREFIX = 'pglite://';

/** What a store URL points at. `pglite://` is followed by a path, not a host: `pglite://.aoe/store`, `pglite:///var/aoe`. */
export function parseStoreUrl(url: string): StoreLocation {
  if (/^postgres(ql)?:\/\//i.test(url)) return { engine: 'postgres', url };
  if (url.toLowerCase().startsWith(PGLITE_PREFIX)) {
    const path = url.slice(PGLITE_PREFIX.length);
    if (path === '') throw new UnsupportedStoreUrlError(url);
    return { engine: 'pglite', dataDir: path === 'memory' ? undefined : path };
  }
  throw new UnsupportedStoreUrlError(url);
}

export async function openDatabase(options: DatabaseConnectOptions): Promise<Database> {
  const location = parseStoreUrl(options.url);
  switch (location.engine) {
    case 'postgres':
      return new PostgresDatabase({
        url: location.url,
        schema: options.schema,
        poolSize: options.poolSize,
        applicationName: options.applicationName,
      });
    case 'pglite':
      return options.worker
        ? PgliteHostDatabase.openInWorker({ dataDir: location.dataDir, schema: options.schema })
        : PgliteDatabase.open({ dataDir: location.dataDir, schema: options.schema });
  }
}
