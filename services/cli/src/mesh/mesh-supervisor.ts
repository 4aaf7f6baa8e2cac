import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isMeshProcess, launchProcess, stopProcess, type StopOutcome } from './mesh-process';
import { planMesh, type ReplicaRequest } from './mesh-plan';
import { MeshStateFile, type MeshProcessRecord, type MeshState } from './mesh-state';
import { probeReadiness, waitReady, type Readiness } from './readiness';
import { discoverServices } from './service-discovery';

export interface MeshUpOptions {
  request: ReplicaRequest;
  /** The environment every replica inherits (NATS_URL, DATABASE_URL, AOE_*). */
  env: NodeJS.ProcessEnv;
  host?: string;
  basePort?: number;
  grpcBasePort?: number;
  readyTimeoutMs?: number;
  /** Called as each replica becomes ready. */
  onReady?: (process: MeshProcessRecord) => void;
}

export interface ProcessStatus extends MeshProcessRecord {
  running: boolean;
  readiness: Readiness;
}

/** A mesh that is already up is refused: `aoe mesh down` first. */
export class MeshAlreadyRunningError extends Error {
  override readonly name = 'MeshAlreadyRunningError';
}

/** Starts, inspects and stops the mesh's processes; the state lives in `<AOE_HOME>/mesh`. */
export class MeshSupervisor {
  readonly state: MeshStateFile;

  constructor(
    private readonly root: string,
    meshDir: string,
  ) {
    this.state = new MeshStateFile(meshDir);
  }

  /** Every service's replicas as their own processes; resolves when each answers /readyz (else stops them all). */
  async up(options: MeshUpOptions): Promise<MeshState> {
    const previous = await this.state.read();
    const alive = previous?.processes.filter((p) => isMeshProcess(p.pid, p.main)) ?? [];
    if (alive.length > 0) {
      throw new MeshAlreadyRunningError(
        `the mesh is already running (${alive.length} processes, started ${previous!.startedAt}): run aoe mesh down first`,
      );
    }
    for (const name of ['NATS_URL', 'DATABASE_URL']) {
      if (!options.env[name]) throw new Error(`${name} is required: every service of the mesh connects to it`);
    }
    const services = await discoverServices(this.root);
    const unbuilt = services.filter((s) => !existsSync(s.main)).map((s) => s.name);
    if (unbuilt.length > 0) throw new Error(`not built: ${unbuilt.join(', ')} (run npm run build)`);

    const specs = await planMesh(services, options.request, {
      host: options.host ?? '127.0.0.1',
      basePort: options.basePort ?? 9400,
      grpcBasePort: options.grpcBasePort ?? 50051,
      logDir: this.state.logDir,
    });
    if (specs.length === 0) throw new Error('no replicas to start (every count is 0)');

    const state: MeshState = { startedAt: new Date().toISOString(), supervisorPid: process.pid, processes: [] };
    for (const spec of specs) {
      const pid = launchProcess(spec, options.env);
      state.processes.push({
        service: spec.service,
        replica: spec.replica,
        pid,
        main: spec.main,
        url: `http://${spec.host}:${spec.port}`,
        grpcPort: spec.grpcPort,
        log: spec.log,
      });
    }
    // Recorded before waiting, so `aoe mesh down` finds them even if this process dies now.
    await this.state.write(state);

    const timeoutMs = options.readyTimeoutMs ?? 120_000;
    const outcomes = await Promise.allSettled(
      state.processes.map(async (p) => {
        await waitReady(p.url, () => isMeshProcess(p.pid, p.main), timeoutMs);
        options.onReady?.(p);
      }),
    );
    const failed = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? [{ p: state.processes[i], error: o.reason as Error }] : [],
    );
    if (failed.length > 0) {
      await this.down(5_000);
      const details = await Promise.all(
        failed.map(
          async ({ p, error }) =>
            `${p.service}-${p.replica} ${error.message}: ${await lastLogLine(p.log)} (log: ${p.log})`,
        ),
      );
      throw new Error(`the mesh did not come up; stopped it. ${details.join('; ')}`);
    }
    return state;
  }

  /** Each process: still running (and still ours), and what its /readyz says. */
  async status(): Promise<{ state: MeshState; processes: ProcessStatus[] } | undefined> {
    const state = await this.state.read();
    if (!state) return undefined;
    const processes = await Promise.all(
      state.processes.map(async (p): Promise<ProcessStatus> => {
        const running = isMeshProcess(p.pid, p.main);
        return { ...p, running, readiness: running ? await probeReadiness(p.url) : 'unreachable' };
      }),
    );
    return { state, processes };
  }

  /** SIGTERM to every process, SIGKILL to any still there after `graceMs`; then forgets the mesh. */
  async down(graceMs: number): Promise<Array<MeshProcessRecord & { outcome: StopOutcome }>> {
    const state = await this.state.read();
    if (!state) return [];
    const stopped = await Promise.all(
      state.processes.map(async (p) => ({ ...p, outcome: await stopProcess(p.pid, p.main, graceMs) })),
    );
    await this.state.remove();
    return stopped;
  }
}

async function lastLogLine(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const line = text.trimEnd().split('\n').pop() ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line || '(empty log)';
}
