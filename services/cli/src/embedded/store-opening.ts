import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '@aoe/store';
import {
  DEFAULT_SCHEMA,
  PgliteHostDatabase,
  daemonSupported,
  openPgliteDaemonDatabase,
  redactStoreUrl,
  stopPgliteDaemon,
} from '@aoe/store/pglite-worker';
import { CliError, ExitCode, oneLine } from '../errors';
import { lockHome } from '../home';
import { wasmTieringFlag } from '../wasm-tiering';

/** A home's store on its way to open: the home is locked, the store is opening (its daemon connecting, or PGlite starting). */
export interface StoreOpening {
  store: Promise<Store>;
  /** Unlocks the home (after the store is closed). */
  release(): Promise<void>;
}

/** Where embedded mode keeps its control-plane store. */
export type StoreLocation = PgliteStoreLocation | { kind: 'postgres'; url: string; schema: string; poolSize: number };

/**
 * PGlite under `<home>/store`, served by the home's store daemon on
 * `<home>/store.sock` unless `daemon` is undefined (AOE_STORE_DAEMON=0, or a
 * platform or path a Unix socket cannot take): then each command opens PGlite
 * in a worker thread of its own.
 */
export interface PgliteStoreLocation {
  kind: 'pglite';
  dataDir: string;
  socketPath: string;
  logPath: string;
  daemon: { idleMs: number } | undefined;
}

/** The schema of a PostgreSQL store for the CLI, unless AOE_STORE_SCHEMA names another one. */
export const CLI_STORE_SCHEMA = 'aoe_cli';
const CLI_STORE_POOL_SIZE = 4;
/** How long the store daemon waits for the next command before it closes PGlite and ends (AOE_STORE_IDLE_SECONDS). */
export const DEFAULT_STORE_IDLE_SECONDS = 600;

/**
 * `AOE_STORE_URL` (a PostgreSQL database: run history shared between machines,
 * and no PGlite to start) when it is set, else PGlite under `<home>/store`.
 * Throws a usage error for anything but a postgres:// URL.
 */
export function storeLocation(home: string, env: NodeJS.ProcessEnv): StoreLocation {
  const url = env.AOE_STORE_URL;
  if (url === undefined || url === '') return pgliteLocation(home, env);
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new CliError(`AOE_STORE_URL must be a postgres:// URL, not "${redactStoreUrl(url)}"`, ExitCode.usage);
  }
  const poolSize = Number(env.AOE_STORE_POOL_SIZE || CLI_STORE_POOL_SIZE);
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 100) {
    throw new CliError(`AOE_STORE_POOL_SIZE must be a whole number from 1 to 100`, ExitCode.usage);
  }
  return { kind: 'postgres', url, schema: env.AOE_STORE_SCHEMA || CLI_STORE_SCHEMA, poolSize };
}

function pgliteLocation(home: string, env: NodeJS.ProcessEnv): PgliteStoreLocation {
  const socketPath = join(home, 'store.sock');
  const logPath = join(home, 'store-daemon.log');
  const dataDir = join(home, 'store');
  const switchedOff = /^(0|off|false|no)$/i.test(env.AOE_STORE_DAEMON ?? '');
  const idleSeconds = Number(env.AOE_STORE_IDLE_SECONDS || DEFAULT_STORE_IDLE_SECONDS);
  if (!Number.isInteger(idleSeconds) || idleSeconds < 1 || idleSeconds > 86_400) {
    throw new CliError('AOE_STORE_IDLE_SECONDS must be a whole number of seconds from 1 to 86400', ExitCode.usage);
  }
  const daemon = switchedOff || !daemonSupported(socketPath) ? undefined : { idleMs: idleSeconds * 1000 };
  return { kind: 'pglite', dataDir, socketPath, logPath, daemon };
}

/**
 * Locks the home and starts opening its store, without waiting for it: the
 * home's store daemon is connected to (or started: PGlite's start is about a
 * third of a second of WebAssembly), or PGlite starts in a worker thread, or a
 * PostgreSQL store connects and checks its migrations, while this thread goes
 * on loading the code the command needs, starting with the store's own. Await
 * `store` when it is needed; close it, then `release()`.
 */
export async function beginStoreOpen(home: string, env: NodeJS.ProcessEnv): Promise<StoreOpening> {
  const location = storeLocation(home, env);
  const release = await lockHome(home);
  let store: Promise<Store>;
  try {
    store = location.kind === 'postgres' ? openPostgresStore(location) : openPgliteStore(location);
  } catch (error) {
    await release();
    throw error;
  }
  // Awaited by the caller later, maybe only after other work has failed.
  store.catch(() => undefined);
  return { store, release };
}

function openPgliteStore(location: PgliteStoreLocation): Promise<Store> {
  const opening = openPglite(location);
  // While PGlite starts: the repositories and their contracts (zod).
  const { Store } = loadStore();
  return opening.then((db) => Store.fromDatabase(db, { schema: DEFAULT_SCHEMA }));
}

async function openPostgresStore(location: Extract<StoreLocation, { kind: 'postgres' }>): Promise<Store> {
  const { Store } = loadStore();
  try {
    return await Store.open({
      url: location.url,
      schema: location.schema,
      poolSize: location.poolSize,
      applicationName: 'aoe-cli',
    });
  } catch (error) {
    const reason = oneLine(error instanceof Error ? error.message : String(error));
    throw new CliError(`cannot open the store at AOE_STORE_URL (${redactStoreUrl(location.url)}): ${reason}`);
  }
}

/**
 * The home's daemon, started if it is not running; without a daemon, a worker
 * thread, once any daemon still serving the directory has stopped.
 */
function openPglite(location: PgliteStoreLocation): Promise<PgliteHostDatabase> {
  const { dataDir, socketPath, logPath, daemon } = location;
  if (!daemon) {
    return stopPgliteDaemon(socketPath).then(() =>
      PgliteHostDatabase.openInWorker({ dataDir, schema: DEFAULT_SCHEMA }),
    );
  }
  // The daemon runs the store's small queries only: baseline code, no recompilation (wasm-tiering.ts).
  const tiering = wasmTieringFlag('bookkeeping');
  return openPgliteDaemonDatabase({
    dataDir,
    socketPath,
    logPath,
    schema: DEFAULT_SCHEMA,
    idleMs: daemon.idleMs,
    nodeFlags: tiering ? [tiering] : [],
  }).then(({ db }) => db);
}

function loadStore(): typeof import('@aoe/store') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@aoe/store') as typeof import('@aoe/store');
}

/** Whether the home's store is there already (opening a PGlite store that is not creates it). */
export function storeExists(home: string, env: NodeJS.ProcessEnv): boolean {
  return storeLocation(home, env).kind === 'postgres' || existsSync(join(home, 'store', 'PG_VERSION'));
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
  env: NodeJS.ProcessEnv,
  checks: () => Promise<T>,
): Promise<{ opening: StoreOpening | undefined; checked: T }> {
  const opening = storeExists(home, env) ? await beginStoreOpen(home, env) : undefined;
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
