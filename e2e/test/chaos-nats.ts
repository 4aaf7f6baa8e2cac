import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { waitUntil } from '@aoe/testing';

export const NATS_SERVER_BIN = '/usr/sbin/nats-server';

/**
 * A NATS server with JetStream of the test's own (a free port, a temporary
 * store directory), so the test can restart it without touching the
 * machine's shared NATS. `restart()` keeps the port and the store: streams,
 * consumers and their acknowledgement state survive, as in production.
 */
export class PrivateNats {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly logFile: string,
  ) {}

  static async start(): Promise<PrivateNats> {
    const storeDir = await mkdtemp(join(tmpdir(), 'aoe-chaos-nats-'));
    const nats = new PrivateNats(await freePort(), storeDir, join(storeDir, 'nats-server.log'));
    await nats.launch();
    return nats;
  }

  /** The running server's process id (for CPU accounting). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Runs `use` with a fresh client connection, closed afterwards. */
  async withClient<T>(use: (nc: NatsConnection) => Promise<T>): Promise<T> {
    const nc = await connect({ servers: this.url });
    try {
      return await use(nc);
    } finally {
      await nc.close();
    }
  }

  /**
   * Stops the server and starts it again on the same port and store: SIGTERM
   * lets it shut down cleanly, SIGKILL is a crash (what it had written to its
   * store files is still there).
   */
  async restart(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    await this.halt(signal);
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.halt();
    await rm(this.storeDir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(NATS_SERVER_BIN, ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.child = child;
    await waitUntil(() => this.jetStreamAnswers(), `nats-server on ${this.url} to serve JetStream`, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  }

  private async jetStreamAnswers(): Promise<true | undefined> {
    if (this.child?.exitCode !== null)
      throw new Error(`nats-server exited (${this.child?.exitCode}); log: ${this.logFile}`);
    try {
      const nc = await connect({ servers: this.url, reconnect: false, timeout: 1_000 });
      try {
        await (await jetstreamManager(nc)).getAccountInfo();
        return true;
      } finally {
        await nc.close();
      }
    } catch {
      return undefined;
    }
  }

  private async halt(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
