import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '@aoe/store';
import { DEFAULT_SCHEMA, PgliteWorkerDatabase } from '@aoe/store/pglite-worker';
import { lockHome } from '../home';

/** A home's store on its way to open: the home is locked, PGlite is starting in its worker thread. */
export interface StoreOpening {
  store: Promise<Store>;
  /** Unlocks the home (after the store is closed). */
  release(): Promise<void>;
}

/**
 * Locks the home and starts opening its store, without waiting for it: PGlite
 * starts in a worker thread (about a third of a second of WebAssembly) while
 * this thread goes on loading the code the command needs, starting with the
 * store's own. Await `store` when it is needed; close it, then `release()`.
 */
export async function beginStoreOpen(home: string): Promise<StoreOpening> {
  const release = await lockHome(home);
  let opening: Promise<PgliteWorkerDatabase>;
  try {
    opening = PgliteWorkerDatabase.open({ dataDir: join(home, 'store'), schema: DEFAULT_SCHEMA });
  } catch (error) {
    await release();
    throw error;
  }
  // While PGlite starts: the repositories and their contracts (zod).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Store } = require('@aoe/store') as typeof import('@aoe/store');
  const store = opening.then((db) => Store.fromDatabase(db, { schema: DEFAULT_SCHEMA }));
  // Awaited by the caller later, maybe only after other work has failed.
  store.catch(() => undefined);
  return { store, release };
}

/** Whether the home has a store already (opening one that does not creates it). */
export function homeHasStore(home: string): boolean {
  return existsSync(join(home, 'store', 'PG_VERSION'));
}

/**
 * Runs a command's checks (source, target) while the home's store, if it has
 * one, starts opening: the checks load most of the services' code. When a
 * check fails, that store is closed and the home unlocked: as before, a failed
 * check creates nothing. Without a store, nothing is opened (undefined).
 * Returns the opening and what the checks returned.
 */
export async function openWhileChecking<T>(
  home: string,
  checks: () => Promise<T>,
): Promise<{ opening: StoreOpening | undefined; checked: T }> {
  const opening = homeHasStore(home) ? await beginStoreOpen(home) : undefined;
  try {
    return { opening, checked: await checks() };
  } catch (error) {
    if (opening) await abandonStoreOpen(opening);
    throw error;
  }
}

/** Closes what a StoreOpening opened (if it did) and unlocks the home; never throws. */
export async function abandonStoreOpen(opening: StoreOpening): Promise<void> {
  await opening.store.then((store) => store.close()).catch(() => undefined);
  await opening.release().catch(() => undefined);
}
