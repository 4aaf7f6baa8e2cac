import { execFile } from 'node:child_process';
import { access, constants, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { CliError, ExitCode } from '../errors';

const run = promisify(execFile);

export type PgTool = 'pg_dump' | 'pg_restore';

export interface FoundTool {
  path: string;
  major: number;
  version: string;
}

/** Where the tools may live: AOE_PG_BIN_DIR alone when set, else PATH and Debian's versioned directories. */
async function candidateDirs(env: NodeJS.ProcessEnv): Promise<string[]> {
  if (env.AOE_PG_BIN_DIR) return [env.AOE_PG_BIN_DIR];
  const dirs: string[] = [];
  dirs.push(...(env.PATH ?? '').split(delimiter).filter(Boolean));
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  for (const version of versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))) {
    dirs.push(join('/usr/lib/postgresql', version, 'bin'));
  }
  return dirs;
}

async function versionOf(path: string): Promise<FoundTool | undefined> {
  try {
    const { stdout } = await run(path, ['--version'], { timeout: 10_000 });
    // "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(stdout);
    if (!match) return undefined;
    return { path, major: Number(match[1]), version: stdout.trim() };
  } catch {
    return undefined;
  }
}

/**
 * The newest `pg_dump` or `pg_restore` on this machine that can work with a
 * server of `serverMajor`: a dump tool older than the server refuses to dump it,
 * and pg_restore cannot read archives written by a newer pg_dump.
 */
export async function findPgTool(
  tool: PgTool,
  serverMajor: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FoundTool> {
  const found: FoundTool[] = [];
  for (const dir of await candidateDirs(env)) {
    const path = join(dir, tool);
    if (
      !(await access(path, constants.X_OK).then(
        () => true,
        () => false,
      ))
    )
      continue;
    const version = await versionOf(path);
    if (version && !found.some((f) => f.path === version.path)) found.push(version);
  }
  if (found.length === 0) {
    throw new CliError(
      `${tool} is not installed: install the PostgreSQL client (Debian: apt-get install postgresql-client-${serverMajor}) or set AOE_PG_BIN_DIR`,
      ExitCode.unreachable,
    );
  }
  const best = found.sort((a, b) => b.major - a.major)[0];
  if (best.major < serverMajor) {
    throw new CliError(
      `${tool} ${best.major} (${best.path}) is older than the server (PostgreSQL ${serverMajor}); install postgresql-client-${serverMajor} or newer, or set AOE_PG_BIN_DIR`,
      ExitCode.unreachable,
    );
  }
  return best;
}
