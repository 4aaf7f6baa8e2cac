import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { CreateApiKeyUseCase } from '@aoe/gateway';
import { openStore, type Store } from '@aoe/store';
import { deleteTestStreams, dropTestSchema, testDatabaseUrl, testNatsUrl, uniqueName } from '@aoe/testing';

const AOE_BIN = join(__dirname, '..', '..', 'services', 'cli', 'bin', 'aoe.js');

/** One process of the mesh, as `aoe mesh status --json` prints it. */
export interface MeshProcessView {
  service: string;
  replica: number;
  pid: number;
  url: string;
  log: string;
  running?: boolean;
  readiness?: string;
}

/**
 * A real multi-process mesh for a test: `aoe mesh` (the CLI's own code) with a
 * private AOE_HOME, bus namespace and store schema, removed afterwards.
 */
export class MeshHarness {
  private constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly home: string,
  ) {}

  static async create(prefix: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<MeshHarness> {
    const [natsUrl, databaseUrl] = await Promise.all([testNatsUrl(), testDatabaseUrl()]);
    const home = await mkdtemp(join(tmpdir(), `aoe-${prefix}-`));
    return new MeshHarness(
      {
        ...process.env,
        NATS_URL: natsUrl,
        DATABASE_URL: databaseUrl,
        AOE_BUS_NAMESPACE: uniqueName(prefix),
        AOE_STORE_SCHEMA: uniqueName(prefix),
        AOE_HOME: home,
        LOG_LEVEL: 'info',
        ...extraEnv,
      },
      home,
    );
  }

  /** Runs the built `aoe` (services/cli/bin/aoe.js) with the mesh's environment. */
  aoe(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [AOE_BIN, ...args],
        { env: this.env, cwd: this.home, timeout: 300_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** `aoe <args>` as a child process left running (a foreground `mesh up`); stderr is collected. */
  spawnAoe(...args: string[]): { child: ChildProcess; stderr: () => string } {
    const child = spawn(process.execPath, [AOE_BIN, ...args], { env: this.env, cwd: this.home });
    const err: string[] = [];
    child.stderr.on('data', (c: Buffer) => err.push(c.toString()));
    child.stdout.resume();
    return { child, stderr: () => err.join('') };
  }

  /** `aoe mesh up --detach --json` with these flags; fails with the CLI's message. */
  async up(...flags: string[]): Promise<MeshProcessView[]> {
    const result = await this.aoe('mesh', 'up', '--detach', '--json', ...flags);
    if (result.code !== 0) throw new Error(`aoe mesh up exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as MeshProcessView[];
  }

  async status(): Promise<MeshProcessView[]> {
    return JSON.parse((await this.aoe('mesh', 'status', '--json')).stdout) as MeshProcessView[];
  }

  /** The control-plane store the mesh uses (open it after `up`: the services migrate it). */
  openStore(): Promise<Store> {
    return openStore({ url: this.env.DATABASE_URL!, schema: this.env.AOE_STORE_SCHEMA, applicationName: 'e2e' });
  }

  async writeKey(): Promise<string> {
    const store = await this.openStore();
    try {
      return (await new CreateApiKeyUseCase(store).execute({ name: 'e2e', scope: 'write', createdBy: 'e2e' })).key;
    } finally {
      await store.close();
    }
  }

  /** Pids of live processes started with this mesh's bus namespace: after `down` there must be none. */
  async processesOfThisMesh(): Promise<number[]> {
    const marker = `AOE_BUS_NAMESPACE=${this.env.AOE_BUS_NAMESPACE}\0`;
    const found: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      const environ = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
      if (environ.includes(marker) && cmdline.includes('main.js')) found.push(Number(entry));
    }
    return found;
  }

  /** Stops the mesh (if up) and removes its streams, schema and home. */
  async destroy(): Promise<void> {
    await this.aoe('mesh', 'down', '--grace', '10');
    await deleteTestStreams(this.env.NATS_URL!, this.env.AOE_BUS_NAMESPACE!);
    await dropTestSchema(this.env.DATABASE_URL!, this.env.AOE_STORE_SCHEMA!);
    await rm(this.home, { recursive: true, force: true });
  }
}

/** Polls until `probe` returns a value (not undefined), or fails naming what it waited for. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The gateway's REST API with a bearer key. */
export function gatewayClient(url: string, key: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${url}${path}`, {
      method,
      // A request that hangs (a socket to a process that died) fails, and the caller's poll tries again.
      signal: AbortSignal.timeout(10_000),
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown) => call('POST', path, body),
  };
}
