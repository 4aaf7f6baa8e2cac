import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CliError, ExitCode } from './errors';
import type { CliIo } from './io';

/** `AOE_HOME`, else `.aoe` in the working directory: the store and the warehouse live there. */
export function aoeHome(env: NodeJS.ProcessEnv, cwd: string): string {
  return resolve(cwd, env.AOE_HOME ?? '.aoe');
}

/** The home of this command and its warehouse directory (`AOE_WAREHOUSE_DIR`, else `<home>/warehouse`). */
export function homeOf(io: CliIo): { home: string; warehouseDir: string } {
  const home = aoeHome(io.env, io.cwd);
  return { home, warehouseDir: io.env.AOE_WAREHOUSE_DIR ?? join(home, 'warehouse') };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite data directories are for one process at a time: `<home>/lock` holds
 * the pid of the aoe process using them. A lock left by a process that is gone
 * is taken over. Returns the release function.
 */
export async function lockHome(home: string): Promise<() => Promise<void>> {
  await mkdir(home, { recursive: true });
  const path = join(home, 'lock');
  for (let tries = 0; tries < 3; tries++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new CliError(`another aoe process (pid ${pid}) is using ${home}; wait for it to finish`, ExitCode.busy);
      }
      if (pid === process.pid) {
        throw new CliError(`${home} is already in use by this process`, ExitCode.busy);
      }
      await rm(path, { force: true });
    }
  }
  throw new CliError(`could not lock ${home}`, ExitCode.busy);
}
