import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { waitUntil } from './wait';

export interface ServiceProcessOptions {
  /** The folder under services/: `monitor`, `planner`, … (its `dist/src/main.js` is run). */
  service: string;
  /** NATS_URL, DATABASE_URL, AOE_BUS_NAMESPACE, AOE_STORE_SCHEMA and anything else the service reads (LOG_LEVEL defaults to info). */
  env: Record<string, string>;
  /** Where stdout and stderr go (appended, across restarts). */
  logFile: string;
  /** HTTP port for /healthz, /readyz, /metrics (default: a free one, kept across restarts). */
  port?: number;
  /** The repository root (default: found from this file). */
  repoRoot?: string;
  /** How long `start` and `restart` wait for /readyz (default 60 s). */
  readyTimeoutMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The repository root: the nearest folder above `from` that holds `services/` and a package.json. */
export function findRepoRoot(from = __dirname): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'services')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${from}`);
    dir = parent;
  }
}

/** A free TCP port on 127.0.0.1, as the kernel hands one out. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/**
 * One service replica as its own Node process (`node services/<name>/dist/src/main.js`,
 * the mesh's `runMeshService`), logging to a file: start it and wait for /readyz,
 * kill it with SIGKILL as a crash would, restart it on the same port.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<Exit> = Promise.resolve({ code: null, signal: null });
  private startsCount = 0;

  private constructor(
    private readonly options: ServiceProcessOptions,
    readonly main: string,
    readonly port: number,
  ) {}

  static async start(options: ServiceProcessOptions): Promise<ServiceProcess> {
    const root = options.repoRoot ?? findRepoRoot();
    const main = join(root, 'services', options.service, 'dist', 'src', 'main.js');
    if (!existsSync(main)) {
      throw new Error(`${main} does not exist: build first (npx tsc -b services/${options.service})`);
    }
    const replica = new ServiceProcess(options, main, options.port ?? (await freePort()));
    await replica.restart();
    return replica;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How many times the process was started. */
  get starts(): number {
    return this.startsCount;
  }

  get logFile(): string {
    return this.options.logFile;
  }

  /** True while the process exists (signal 0 reaches it). */
  isRunning(): boolean {
    const pid = this.child?.pid;
    if (pid === undefined || this.child?.exitCode !== null || this.child?.signalCode !== null) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Starts the process (again, when it was killed or stopped) and waits until /readyz answers 200. */
  async restart(): Promise<void> {
    if (this.isRunning()) throw new Error(`${this.options.service} is still running (pid ${this.pid})`);
    const log = openSync(this.options.logFile, 'a');
    try {
      const child = spawn(process.execPath, [this.main], {
        cwd: this.options.repoRoot ?? findRepoRoot(),
        // The log file is what is left of a killed replica: info level unless the caller says otherwise.
        env: { ...process.env, LOG_LEVEL: 'info', ...this.options.env, HOST: '127.0.0.1', PORT: String(this.port) },
        stdio: ['ignore', log, log],
      });
      this.child = child;
      this.exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
    } finally {
      closeSync(log);
    }
    this.startsCount++;
    try {
      await this.waitReady();
    } catch (error) {
      // Never leave a process behind that nobody holds a handle to.
      await this.kill();
      throw error;
    }
  }

  /** Waits for /readyz; fails at once, with the log's tail, if the process exits first. */
  async waitReady(timeoutMs = this.options.readyTimeoutMs ?? 60_000): Promise<void> {
    const child = this.child;
    await waitUntil(
      async () => {
        if (!child || child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${this.options.service} exited before it was ready:\n${this.logTail()}`);
        }
        try {
          const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
          await response.arrayBuffer();
          return response.ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      `${this.options.service} /readyz on ${this.url} (log: ${this.options.logFile})`,
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** `kill -9`: no shutdown hook runs, in-flight work is abandoned. Resolves once the process is gone. */
  async kill(): Promise<Exit> {
    return this.signal('SIGKILL');
  }

  /** Graceful stop (SIGTERM), then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<Exit> {
    if (!this.isRunning()) return this.exited;
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    try {
      return await this.signal('SIGTERM');
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last lines of the log. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private async signal(signal: NodeJS.Signals): Promise<Exit> {
    if (this.isRunning()) this.child?.kill(signal);
    return this.exited;
  }
}

/**
 * Kills replicas of a service as crashes would: a seeded choice of which one,
 * so a benchmark's schedule replays; `restartKilled` brings them back.
 */
export class ReplicaKiller {
  private readonly killed = new Set<ServiceProcess>();

  constructor(
    readonly replicas: readonly ServiceProcess[],
    private readonly random: () => number = Math.random,
  ) {}

  /** SIGKILLs one running replica (chosen by the random source, or `index`); returns it. */
  async killOne(index?: number): Promise<ServiceProcess> {
    const running = this.replicas.filter((r) => r.isRunning());
    if (running.length === 0) throw new Error('no replica is running');
    const victim = index === undefined ? running[Math.floor(this.random() * running.length)] : this.replicas[index];
    await victim.kill();
    this.killed.add(victim);
    return victim;
  }

  /** Restarts every killed replica and waits until each is ready; returns how many. */
  async restartKilled(): Promise<number> {
    const victims = [...this.killed];
    this.killed.clear();
    for (const victim of victims) await victim.restart();
    return victims.length;
  }

  /** Stops every replica (SIGTERM, then SIGKILL). */
  async stopAll(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.stop()));
  }
}
