import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { deserialize, serialize } from 'node:v8';
import {
  PgliteHostDatabase,
  revive,
  searchPathSetup,
  type HostChannel,
  type HostMessage,
  type Reply,
} from './pglite-host.database';
import { DAEMON_SOURCE, STORE_SETTINGS, daemonBuild } from './pglite-host.source';

/*
 * The store daemon: PGlite kept open between commands, in a process of its
 * own, served on a Unix socket (its source: pglite-host.source.ts). A command
 * that finds it connects in a few milliseconds instead of starting PGlite
 * (about a third of a second); one that does not starts it. The caller must
 * hold whatever makes it the data directory's only user (the CLI's home lock):
 * between two connections nothing else may open the directory.
 */

export interface PgliteDaemonOptions {
  dataDir: string;
  /** The daemon's Unix socket (at most MAX_SOCKET_PATH bytes). */
  socketPath: string;
  /** Every unqualified table name resolves in this schema (search_path). */
  schema: string;
  /** How long the daemon waits for its next client before it closes PGlite and ends. */
  idleMs: number;
  /** Where the daemon writes why it failed (appended). */
  logPath: string;
  /** Node flags for the daemon's process (V8's among them). */
  nodeFlags?: string[];
  /** How long a daemon may take to open PGlite (a new data directory is created first, which takes seconds). */
  startTimeoutMs?: number;
  /** How long a process that holds the daemon's pid file but does not answer is waited for (default 30 s). */
  patienceMs?: number;
}

export interface PgliteDaemonDatabase {
  db: PgliteHostDatabase;
  /** The daemon's process id. */
  pid: number;
  /** Whether this call started the daemon (no daemon of this build was serving the data directory). */
  started: boolean;
}

/** Unix sockets take paths of at most 104 bytes on macOS, 108 on Linux, with the terminating zero. */
export const MAX_SOCKET_PATH = 103;

/** Whether a daemon can serve on this platform at this socket path (else the caller opens PGlite itself). */
export function daemonSupported(socketPath: string, platform: NodeJS.Platform = process.platform): boolean {
  return platform !== 'win32' && Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH;
}

interface Hello {
  build: string;
  pid: number;
}

/**
 * Connects to the daemon serving `dataDir`, starting one first if none is. A
 * daemon of another build (an older aoe, another PGlite) is stopped and
 * replaced. The database's `close()` ends the connection, not PGlite.
 */
export async function openPgliteDaemonDatabase(options: PgliteDaemonOptions): Promise<PgliteDaemonDatabase> {
  const pglite = require.resolve('@electric-sql/pglite');
  const build = daemonBuild(`${pglite}@${pgliteVersion(pglite)}`);
  const { socketPath } = options;
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  let child: ChildProcess | undefined;
  let childExit: number | null | undefined;
  const waitingSince = Date.now();
  for (;;) {
    const connection = existsSync(socketPath) ? await DaemonConnection.open(socketPath) : undefined;
    if (connection && connection.hello.build !== build) {
      await connection.shutDown(socketPath);
    } else if (connection) {
      return { db: await withSearchPath(connection, options.schema), pid: connection.hello.pid, started: !!child };
    } else if (child && childExit !== undefined) {
      throw new Error(
        `the store daemon ended (code ${childExit}) before it opened PGlite: ${lastLine(options.logPath)}`,
      );
    } else if (!child) {
      const holder = runningDaemon(socketPath);
      if (holder === undefined) {
        // No daemon at all (a socket or pid file left by one that was killed is stale): start one.
        rmSync(socketPath, { force: true });
        rmSync(pidFileOf(socketPath), { force: true });
        child = spawnDaemon(options, pglite, build);
        child.once('exit', (code) => (childExit = code));
      } else if (Date.now() - waitingSince > (options.patienceMs ?? HOLDER_PATIENCE_MS)) {
        throw new Error(
          `process ${holder} holds ${pidFileOf(socketPath)} but no store daemon answers; stop it, or remove the file if it is not a store daemon`,
        );
      }
    }
    // Otherwise a daemon is starting (ours, or another's) or stopping: ask again shortly.
    if (Date.now() > deadline) {
      child?.kill();
      throw new Error(`no store daemon answered at ${socketPath} in time; see ${options.logPath}`);
    }
    await delay(5);
  }
}

async function withSearchPath(connection: DaemonConnection, schema: string): Promise<PgliteHostDatabase> {
  const db = new PgliteHostDatabase(connection);
  try {
    await db.query(searchPathSetup(schema));
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/**
 * Stops the daemon serving at `socketPath`, if one is: it closes PGlite, removes
 * its socket and ends. Resolves with its process id once the data directory is
 * free, or undefined when no daemon answered.
 */
export async function stopPgliteDaemon(socketPath: string): Promise<number | undefined> {
  const connection = existsSync(socketPath) ? await DaemonConnection.open(socketPath) : undefined;
  if (connection) {
    await connection.shutDown(socketPath);
    return connection.hello.pid;
  }
  // One that is starting or stopping: let it finish, then the directory is free.
  await daemonGone(socketPath);
  return undefined;
}

/** The daemon's pid file: written before it opens PGlite, removed after it closed it. */
function pidFileOf(socketPath: string): string {
  return `${socketPath}.pid`;
}

/** The pid of the daemon whose pid file is there, if that process is alive. */
function runningDaemon(socketPath: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFileOf(socketPath), 'utf8'));
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** Resolves once no daemon holds the data directory (its pid file gone, or its process). */
async function daemonGone(socketPath: string): Promise<void> {
  for (let waited = 0; runningDaemon(socketPath) !== undefined; waited += 5) {
    if (waited > HOLDER_PATIENCE_MS) {
      throw new Error(`the store daemon (pid ${runningDaemon(socketPath)}) did not stop; see ${pidFileOf(socketPath)}`);
    }
    await delay(5);
  }
}

function pgliteVersion(pglite: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(dirname(pglite), '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return manifest.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function spawnDaemon(options: PgliteDaemonOptions, pglite: string, build: string): ChildProcess {
  const log = openSync(options.logPath, 'a');
  try {
    const child = spawn(process.execPath, [...(options.nodeFlags ?? []), '-'], {
      detached: true,
      stdio: ['pipe', 'ignore', log],
      // Nothing of the command's environment (its secrets among it): the daemon needs its configuration only.
      env: {
        AOE_PGLITE_DAEMON: JSON.stringify({
          pglite,
          build,
          dataDir: options.dataDir,
          socketPath: options.socketPath,
          pidPath: pidFileOf(options.socketPath),
          idleMs: options.idleMs,
          settings: STORE_SETTINGS,
        }),
      },
    });
    child.stdin?.end(DAEMON_SOURCE);
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

function lastLine(path: string): string {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  return lines[lines.length - 1] || '(nothing logged)';
}

/**
 * A frame: a 4-byte big-endian length, then a v8.serialize()d message. The
 * daemon's own source (DAEMON_SOURCE) writes and reads the same frames.
 */
export function encodeFrame(message: unknown): Buffer {
  const body = serialize(message);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** Cuts a byte stream into frames and deserializes them. */
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): unknown[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: unknown[] = [];
    while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readUInt32BE(0)) {
      const size = this.buffered.readUInt32BE(0);
      messages.push(deserialize(this.buffered.subarray(4, 4 + size)));
      this.buffered = this.buffered.subarray(4 + size);
    }
    return messages;
  }
}

/** How long a daemon that holds the pid file but does not answer (starting, or ending) is waited for. */
const HOLDER_PATIENCE_MS = 30_000;

/** How long a connected daemon may take to greet: it serves one client at a time. */
const HELLO_TIMEOUT_MS = 10_000;

/** One client's connection to the daemon, once the daemon has greeted it. */
class DaemonConnection implements HostChannel {
  readonly ownsHost = false;
  private readonly replyListeners: Array<(reply: Reply) => void> = [];
  private readonly lostListeners: Array<(error: Error) => void> = [];
  private ending = false;

  private constructor(
    private readonly socket: Socket,
    readonly hello: Hello,
  ) {
    socket.on('error', (error) => this.lose(error));
    socket.on('close', () => this.lose(new Error('the store daemon closed the connection')));
  }

  /**
   * Connects and waits for the greeting; undefined when nothing listens at the
   * path, or the daemon closed the connection unanswered (it is ending).
   */
  static open(socketPath: string): Promise<DaemonConnection | undefined> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      const decoder = new FrameDecoder();
      let connection: DaemonConnection | undefined;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`the store daemon at ${socketPath} did not answer in ${HELLO_TIMEOUT_MS / 1000} s`));
      }, HELLO_TIMEOUT_MS);
      const settle = (value: DaemonConnection | undefined, error?: Error) => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.off('close', onClose);
        if (error) reject(error);
        else resolve(value);
      };
      const onError = (error: NodeJS.ErrnoException) => {
        socket.destroy();
        // Nothing listens (no daemon, or one that is starting or ending), or it hung up on us (ending).
        const unanswered = ['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(error.code ?? '');
        settle(undefined, unanswered ? undefined : error);
      };
      const onClose = () => settle(undefined);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.on('data', (chunk: Buffer) => {
        for (const message of decoder.push(chunk)) {
          if (!connection) {
            const hello = (message as { hello?: Hello }).hello;
            if (!hello) {
              socket.destroy();
              settle(undefined, new Error(`${socketPath} is not a store daemon`));
              return;
            }
            connection = new DaemonConnection(socket, hello);
            settle(connection);
          } else {
            for (const listener of connection.replyListeners) listener(message as Reply);
          }
        }
      });
    });
  }

  post(message: HostMessage): void {
    this.socket.write(encodeFrame(message));
  }

  onReply(listener: (reply: Reply) => void): void {
    this.replyListeners.push(listener);
  }

  onLost(listener: (error: Error) => void): void {
    this.lostListeners.push(listener);
  }

  async end(): Promise<void> {
    this.ending = true;
    if (this.socket.closed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  /** Asks the daemon to close PGlite and end; resolves once its socket is gone (the data directory is free). */
  async shutDown(socketPath: string): Promise<void> {
    const acknowledged = new Promise<Reply>((resolve, reject) => {
      this.onReply(resolve);
      this.onLost(reject);
    });
    this.socket.write(encodeFrame({ id: 0, shutdown: true }));
    const reply = await acknowledged;
    if (reply.error) throw revive(reply.error);
    this.ending = true;
    await daemonGone(socketPath);
    this.socket.destroy();
  }

  private lose(error: Error): void {
    if (this.ending) return;
    this.ending = true;
    for (const listener of this.lostListeners) listener(error);
  }
}
