import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { CliError, ExitCode } from '../errors';
import { aoeHome } from '../home';
import { writeLine, type CliIo } from '../io';
import { table } from '../output/format';
import { parseReplicaRequest } from '../mesh/mesh-plan';
import { MeshAlreadyRunningError, MeshSupervisor, type ProcessStatus } from '../mesh/mesh-supervisor';
import type { MeshProcessRecord } from '../mesh/mesh-state';
import { discoverServices, findWorkspaceRoot } from '../mesh/service-discovery';

interface UpOptions {
  replicas?: string;
  service: string[];
  detach?: boolean;
  readyTimeout: string;
  basePort: string;
  grpcBasePort: string;
  json?: boolean;
}

/** `aoe mesh up|down|status`: every service of the mesh as its own Node process. */
export function registerMeshCommand(root: Command, io: CliIo, set: (code: number) => void): void {
  const mesh = root
    .command('mesh')
    .description('run every service of the mesh as its own processes (NATS_URL, DATABASE_URL)');
  mesh
    .command('up')
    .description('start every service (N replicas each), wait until each answers /readyz; Ctrl-C stops them')
    .option('--replicas <n>', 'replicas of every service', '1')
    .option('--service <name=N>', 'replicas of one service (repeatable; 0 leaves it out)', collect, [])
    .option('--detach', 'return once every replica is ready and leave them running (aoe mesh down stops them)')
    .option('--ready-timeout <seconds>', 'how long to wait for every replica to be ready', '120')
    .addOption(new Option('--base-port <port>', 'first HTTP port; replicas take the next free ones').default('9400'))
    .addOption(new Option('--grpc-base-port <port>', "first gRPC port (the gateway's AOE_GRPC_PORT)").default('50051'))
    .option('--json', 'print the processes as JSON')
    .action(async (options: UpOptions) => set(await meshUp(options, io)));
  mesh
    .command('down')
    .description('stop every process of the mesh: SIGTERM, then SIGKILL after the grace period')
    .option('--grace <seconds>', 'how long a replica may take to finish its in-flight work', '20')
    .action(async (options: { grace: string }) => set(await meshDown(options, io)));
  mesh
    .command('services')
    .description('the services mesh up starts: every services/<name> tagged type:service, and whether it is built')
    .option('--json', 'print the services as JSON')
    .action(async (options: { json?: boolean }) => set(await meshServices(options, io)));
  mesh
    .command('status')
    .description('each process of the mesh: running, ready, port and log')
    .option('--json', 'print the processes as JSON')
    .action(async (options: { json?: boolean }) => set(await meshStatus(options, io)));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
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
