import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, ExitCode } from '../errors';
import { aoeHome } from '../home';
import { writeLine, type CliIo } from '../io';
import { table } from '../output/format';
import { parseReplicaRequest } from '../mesh/mesh-plan';
import { MeshAlreadyRunningError, MeshSupervisor, type ProcessStatus } from '../mesh/mesh-supervisor';
import type { MeshProcessRecord } from '../mesh/mesh-state';
import { discoverServices, findWorkspaceRoot } from '../mesh/service-discovery';

export interface UpOptions {
  replicas?: string;
  service: string[];
  detach?: boolean;
  readyTimeout: string;
  basePort: string;
  grpcBasePort: string;
  json?: boolean;
}

function supervisor(io: CliIo): MeshSupervisor {
  return new MeshSupervisor(findWorkspaceRoot(), join(aoeHome(io.env, io.cwd), 'mesh'));
}

function seconds(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new CliError(`${flag} takes a number of seconds, got "${text}"`, ExitCode.usage);
  return value * 1000;
}

function port(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new CliError(`${flag} takes a port number, got "${text}"`, ExitCode.usage);
  }
  return value;
}

export async function meshUp(options: UpOptions, io: CliIo): Promise<number> {
  const known = (await discoverServices(findWorkspaceRoot())).map((s) => s.name);
  let request;
  try {
    request = parseReplicaRequest(options.replicas, options.service, known);
  } catch (error) {
    throw new CliError((error as Error).message, ExitCode.usage);
  }
  const basePort = port(options.basePort, '--base-port');
  const grpcBasePort = port(options.grpcBasePort, '--grpc-base-port');
  const readyTimeoutMs = seconds(options.readyTimeout, '--ready-timeout');
  const mesh = supervisor(io);
  let state;
  try {
    state = await mesh.up({
      request,
      env: io.env,
      basePort,
      grpcBasePort,
      readyTimeoutMs,
      onReady: options.json ? undefined : (p) => writeLine(io.stderr, `ready: ${p.service}-${p.replica} on ${p.url}`),
    });
  } catch (error) {
    const code = error instanceof MeshAlreadyRunningError ? ExitCode.busy : ExitCode.failed;
    throw new CliError((error as Error).message, code);
  }
  if (options.json) writeLine(io.stdout, JSON.stringify(state.processes));
  else writeLine(io.stdout, processTable(state.processes.map((p) => ({ ...p, running: true, readiness: 'ready' }))));
  if (options.detach) {
    if (!options.json)
      writeLine(
        io.stdout,
        `mesh up: ${state.processes.length} processes; logs in ${mesh.state.logDir}; stop with aoe mesh down`,
      );
    return ExitCode.ok;
  }
  if (!io.interrupted) return ExitCode.ok;
  writeLine(io.stderr, `mesh up: ${state.processes.length} processes; Ctrl-C stops them`);
  // The watch also keeps this process alive: a signal handler alone does not.
  const watch = watchExits(mesh, io);
  await io.interrupted;
  clearInterval(watch);
  writeLine(io.stderr, 'stopping the mesh…');
  await mesh.down(20_000);
  return ExitCode.interrupted;
}

/** In the foreground, says once when a replica exits (its log says why); it is not restarted. */
function watchExits(mesh: MeshSupervisor, io: CliIo): NodeJS.Timeout {
  const reported = new Set<number>();
  return setInterval(() => {
    void mesh.status().then((status) => {
      for (const p of status?.processes ?? []) {
        if (p.running || reported.has(p.pid)) continue;
        reported.add(p.pid);
        writeLine(io.stderr, `exited: ${p.service}-${p.replica} (pid ${p.pid}); log: ${p.log}`);
      }
    });
  }, 2_000);
}

export async function meshDown(options: { grace: string }, io: CliIo): Promise<number> {
  const stopped = await supervisor(io).down(seconds(options.grace, '--grace'));
  if (stopped.length === 0) {
    writeLine(io.stdout, 'no mesh is running');
    return ExitCode.ok;
  }
  for (const p of stopped) writeLine(io.stdout, `${p.service}-${p.replica} (pid ${p.pid}): ${p.outcome}`);
  return ExitCode.ok;
}

export async function meshServices(options: { json?: boolean }, io: CliIo): Promise<number> {
  const services = (await discoverServices(findWorkspaceRoot())).map((s) => ({ ...s, built: existsSync(s.main) }));
  if (options.json) writeLine(io.stdout, JSON.stringify(services));
  else
    writeLine(
      io.stdout,
      table(
        ['service', 'built', 'main'],
        services.map((s) => [s.name, s.built ? 'yes' : 'no', s.main]),
      ),
    );
  return ExitCode.ok;
}

/** Exit 0 when every process is running and ready, 1 when one is not, 0 with a note when no mesh is up. */
export async function meshStatus(options: { json?: boolean }, io: CliIo): Promise<number> {
  const status = await supervisor(io).status();
  if (!status) {
    writeLine(io.stdout, options.json ? '[]' : 'no mesh is running');
    return ExitCode.ok;
  }
  if (options.json) writeLine(io.stdout, JSON.stringify(status.processes));
  else writeLine(io.stdout, processTable(status.processes));
  return status.processes.every((p) => p.running && p.readiness === 'ready') ? ExitCode.ok : ExitCode.failed;
}

function processTable(processes: Array<MeshProcessRecord & Pick<ProcessStatus, 'running' | 'readiness'>>): string {
  return table(
    ['service', 'replica', 'pid', 'state', 'url', 'log'],
    processes.map((p) => [p.service, p.replica, p.pid, p.running ? p.readiness : 'exited', p.url, p.log]),
  );
}
