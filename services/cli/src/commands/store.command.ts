import { existsSync } from 'node:fs';
import { stopPgliteDaemon } from '@aoe/store/pglite-worker';
import { storeLocation } from '../embedded/store-opening';
import { homeOf, lockHome } from '../home';
import { type CliIo, writeLine } from '../io';

/**
 * `aoe store stop`: stops the home's store daemon, if one is running (it closes
 * PGlite first). The next command that needs the store starts it again.
 */
export async function stopStore(options: { json?: boolean }, io: CliIo): Promise<number> {
  const { home } = homeOf(io);
  const location = storeLocation(home, io.env);
  let pid: number | undefined;
  if (location.kind === 'pglite' && existsSync(home)) {
    // Not while a command uses the store: it would lose its connection.
    const release = await lockHome(home);
    try {
      pid = await stopPgliteDaemon(location.socketPath);
    } finally {
      await release();
    }
  }
  if (options.json) {
    writeLine(io.stdout, JSON.stringify({ home, stopped: pid !== undefined, pid: pid ?? null }));
  } else if (pid !== undefined) {
    writeLine(io.stdout, `stopped the store daemon of ${home} (pid ${pid})`);
  } else {
    writeLine(
      io.stdout,
      location.kind === 'postgres'
        ? 'the store is in PostgreSQL (AOE_STORE_URL): there is no store daemon'
        : `no store daemon is running for ${home}`,
    );
  }
  return 0;
}
