import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MeshProcessSpec } from './mesh-plan';

/**
 * Starts one replica as `node <main>` in its own process group, stdout and
 * stderr appended to its log file. It outlives the `aoe` that started it
 * (`--detach`); `stopProcess` ends it.
 */
export function launchProcess(spec: MeshProcessSpec, env: NodeJS.ProcessEnv): number {
  mkdirSync(dirname(spec.log), { recursive: true });
  const log = openSync(spec.log, 'a');
  try {
    const child = spawn(process.execPath, [spec.main], {
      detached: true,
      stdio: ['ignore', log, log],
      env: {
        ...env,
        HOST: spec.host,
        PORT: String(spec.port),
        AOE_GRPC_PORT: String(spec.grpcPort),
        AOE_MESH_REPLICA: `${spec.service}-${spec.replica}`,
      },
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.service}-${spec.replica}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/**
 * Whether `pid` is still the replica we started: alive and running `main`.
 * The command line is read from /proc, so a pid reused by another program is
 * never signalled; without /proc, being alive has to do.
 */
export function isMeshProcess(pid: number, main: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(main);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || !isLinux();
  }
}

function isLinux(): boolean {
  return process.platform === 'linux';
}

export type StopOutcome = 'not-running' | 'stopped' | 'killed';

/** SIGTERM (the service finishes in-flight work and drains), then SIGKILL once `graceMs` has passed. */
export async function stopProcess(pid: number, main: string, graceMs: number): Promise<StopOutcome> {
  if (!isMeshProcess(pid, main)) return 'not-running';
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(100);
    if (!isMeshProcess(pid, main)) return 'stopped';
  }
  signal(pid, 'SIGKILL');
  while (isMeshProcess(pid, main)) await sleep(50);
  return 'killed';
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
