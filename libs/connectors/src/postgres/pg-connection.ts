import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { PostgresConnection } from '@aoe/contracts';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ConnectorError } from '../connector-error';
import { resolveSecret } from '../secrets';
import { toConnectorError } from './pg-errors';
import { abortError, backendStateOf, StallWatch, type BackendState } from './stall-watch';

export interface PgQueryResult<R> {
  rows: R[];
  rowCount: number;
  /** Result columns with their type oids, when the engine reports them. */
  fields?: ReadonlyArray<{ name: string; dataTypeID: number }>;
}

/**
 * One server session. The sink and the source need only this, so they run on
 * node-postgres, a caller's pg.Pool, or an engine without COPY streaming
 * (PGlite), which leaves `copyFrom`/`copyTo` out.
 */
export interface PgSession {
  /** One statement; values only as $n parameters. */
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<PgQueryResult<R>>;
  /** `COPY … FROM STDIN` as a writable stream of COPY data. */
  copyFrom?(text: string, options?: { highWaterMark?: number }): Writable;
  /** `COPY … TO STDOUT` as a readable stream of COPY data. */
  copyTo?(text: string): Readable;
  /** Ends this session's server process from another connection (fault injection). */
  terminate?(): Promise<void>;
  /**
   * Cuts the connection (the socket is destroyed, the statement in flight fails
   * with the signal's reason; a deadline as a `timeout`) as soon as `signal`
   * aborts. Returns the function that stops listening.
   */
  cutOnAbort?(signal: AbortSignal | undefined): () => void;
  /** Gives the session back; `broken` closes it instead of reusing it. */
  release(broken?: boolean): Promise<void>;
}

export interface PgConnectionFactory {
  connect(): Promise<PgSession>;
  /** `postgres://host:port/database`, never with credentials: for messages and results. */
  readonly location: string;
  /** Secret values to keep out of messages. */
  readonly secrets?: readonly string[];
  close(): Promise<void>;
}

/** pg client settings for a connection spec; the password is resolved here and nowhere else. */
export async function clientConfigFor(connection: PostgresConnection): Promise<pg.ClientConfig> {
  const config: pg.ClientConfig = {
    application_name: 'aoe-connectors',
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
  };
  if (connection.url) {
    const url = parseUrl(connection.url);
    const socketHost = url.searchParams.get('host');
    config.host = socketHost ?? (url.hostname === '' ? undefined : decodeURIComponent(url.hostname));
    config.port = url.port === '' ? undefined : Number(url.port);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    config.database = database === '' ? undefined : database;
    config.user = url.username === '' ? undefined : decodeURIComponent(url.username);
    const sslmode = url.searchParams.get('sslmode');
    if (sslmode && !connection.ssl)
      config.ssl = sslOption(sslmode === 'verify-full' ? 'verify-full' : sslmode === 'disable' ? 'disable' : 'require');
  }
  if (connection.host) config.host = connection.host;
  if (connection.port) config.port = connection.port;
  if (connection.database) config.database = connection.database;
  if (connection.user) config.user = connection.user;
  if (connection.ssl) config.ssl = sslOption(connection.ssl);
  if (connection.password) config.password = await resolveSecret(connection.password);
  return config;
}

function parseUrl(text: string): URL {
  try {
    const url = new URL(text);
    if (!/^postgres(ql)?:$/.test(url.protocol)) throw new Error('not a postgres URL');
    return url;
  } catch {
    throw new ConnectorError('bug', 'the connection url is not a postgres://user@host:port/database URL');
  }
}

function sslOption(mode: NonNullable<PostgresConnection['ssl']>): pg.ClientConfig['ssl'] {
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

export function locationOf(config: pg.ClientConfig): string {
  const host = config.host ?? 'localhost';
  return `postgres://${host.includes(':') ? `[${host}]` : host}:${config.port ?? 5432}/${config.database ?? config.user ?? ''}`;
}

function locationOfConnection(connection: PostgresConnection): string {
  const base: pg.ClientConfig = {};
  if (connection.url) {
    try {
      const url = new URL(connection.url);
      base.host = url.hostname || undefined;
      base.port = url.port ? Number(url.port) : undefined;
      base.database = url.pathname.replace(/^\//, '') || undefined;
    } catch {
      // reported when connecting
    }
  }
  return locationOf({
    ...base,
    host: connection.host ?? base.host,
    port: connection.port ?? base.port,
    database: connection.database ?? base.database,
  });
}

/** COPY buffers this many bytes before write() asks the producer to wait, so encoding overlaps the network. */
const COPY_HIGH_WATER_MARK = 4 * 1024 * 1024;

/** Settings for sessions made by this module's factories. */
export interface PgSessionOptions {
  /**
   * A statement silent this long (no byte either way) has its server process
   * looked up from a second connection; see StallWatch. Default
   * `AOE_PG_STALL_TIMEOUT_MS` or 30 s; 0 turns the watch off.
   */
  stallTimeoutMs?: number;
}

const DEFAULT_STALL_TIMEOUT_MS = 30_000;

export function stallTimeoutFrom(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.AOE_PG_STALL_TIMEOUT_MS;
  if (text === undefined || text === '') return DEFAULT_STALL_TIMEOUT_MS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConnectorError('bug', `AOE_PG_STALL_TIMEOUT_MS must be a whole number of milliseconds, not ${text}`);
  }
  return value;
}

type SessionSocket = Socket & { readableLength: number; writableLength: number };

interface SessionTools {
  end: (broken: boolean) => Promise<void>;
  /** Runs `fn` on another connection to the same server. */
  withOther: <T>(fn: (client: pg.ClientBase) => Promise<T>) => Promise<T>;
  location: string;
  stallTimeoutMs: number;
}

/** A session over one node-postgres client (a dedicated Client or a pool's client). */
class NodePgSession implements PgSession {
  private failure: Error | undefined;
  private released = false;
  private readonly watch: StallWatch | undefined;
  /** Open COPY streams, to tell a slow producer or consumer here from a silent server. */
  private readonly copyIn = new Set<Writable>();
  private readonly copyOut = new Set<Readable>();
  private readonly onError = (error: Error) => {
    this.failure ??= error;
  };

  constructor(
    private readonly client: pg.ClientBase,
    private readonly tools: SessionTools,
  ) {
    // A checked-out client that loses its server emits 'error'; unhandled, that would crash the process.
    client.on('error', this.onError);
    const socket = this.socket;
    if (socket && tools.stallTimeoutMs > 0) {
      this.watch = new StallWatch(socket, {
        silenceMs: tools.stallTimeoutMs,
        location: tools.location,
        heldUpHere: () => this.heldUpHere(),
        probe: () => this.probe(),
        cut: (reason) => this.cut(reason),
      });
    }
  }

  private get socket(): SessionSocket | undefined {
    return (this.client as unknown as { connection?: { stream?: SessionSocket } }).connection?.stream;
  }

  private get pid(): number | undefined {
    const pid = (this.client as unknown as { processID?: number | null }).processID;
    return typeof pid === 'number' ? pid : undefined;
  }

  async query<R = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<PgQueryResult<R>> {
    const done = this.watch?.begin();
    try {
      const result = await this.client.query(text, [...params]);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length, fields: result.fields };
    } catch (error) {
      throw this.failure ?? error;
    } finally {
      done?.();
    }
  }

  copyFrom(text: string, options: { highWaterMark?: number } = {}): Writable {
    const stream = this.client.query(copyFrom(text, { highWaterMark: options.highWaterMark ?? COPY_HIGH_WATER_MARK }));
    this.track(stream, this.copyIn);
    return stream;
  }

  copyTo(text: string): Readable {
    const stream = this.client.query(copyTo(text));
    this.track(stream, this.copyOut);
    return stream;
  }

  cutOnAbort(signal: AbortSignal | undefined): () => void {
    if (!signal) return () => undefined;
    const onAbort = () => this.cut(abortError(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }

  async terminate(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) throw new ConnectorError('bug', 'the session has no server process id');
    await this.tools.withOther((other) => other.query('SELECT pg_terminate_backend($1)', [pid]));
  }

  async release(broken = false): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.watch?.stop();
    try {
      await this.tools.end(broken || this.failure !== undefined);
    } finally {
      // A dedicated client keeps its own no-op listener; a pool's client gets the pool's back.
      this.client.removeListener('error', this.onError);
    }
  }

  private track<S extends Readable | Writable>(stream: S, open: Set<S>): void {
    const done = this.watch?.begin();
    open.add(stream);
    const finish = () => {
      open.delete(stream);
      done?.();
    };
    stream.once('close', finish);
    stream.once('error', finish);
    stream.once(open === (this.copyIn as Set<unknown>) ? 'finish' : 'end', finish);
  }

  /** True while this side holds the statement up: unread data here, or a COPY waiting for its producer. */
  private heldUpHere(): boolean {
    const socket = this.socket;
    if (!socket) return false;
    if (socket.readableLength > 0) return true;
    for (const stream of this.copyOut) if (stream.readableLength > 0) return true;
    for (const stream of this.copyIn) {
      if (!stream.writableEnded && stream.writableLength === 0 && socket.writableLength === 0) return true;
    }
    return false;
  }

  private async probe(): Promise<BackendState> {
    const pid = this.pid;
    if (pid === undefined) return 'gone';
    const result = await this.tools.withOther((other) =>
      other.query<{ state: string | null; wait_event: string | null }>(
        'SELECT state, wait_event FROM pg_stat_activity WHERE pid = $1',
        [pid],
      ),
    );
    return backendStateOf(result.rows[0]);
  }

  /** Destroys the socket: node-postgres fails the statement in flight (and every COPY stream) with `reason`. */
  private cut(reason: Error): void {
    if (this.released || this.failure) return;
    this.failure = reason;
    this.watch?.stop();
    const socket = this.socket;
    if (socket) socket.destroy(reason);
  }
}

/** Ends a dedicated client; one stuck mid-COPY is cut off rather than waited for. */
async function endClient(client: pg.Client): Promise<void> {
  const timer = setTimeout(() => {
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  }, 2_000);
  timer.unref();
  try {
    await client.end();
  } catch {
    // Already gone.
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` on a connection from `connect`, handed back afterwards. */
function usingOther(
  connect: () => Promise<{ client: pg.ClientBase; done: () => Promise<void> }>,
): <T>(fn: (client: pg.ClientBase) => Promise<T>) => Promise<T> {
  return async (fn) => {
    const { client, done } = await connect();
    try {
      return await fn(client);
    } finally {
      await done();
    }
  };
}

/** One dedicated connection per session, made from a connection spec. */
export class PgClientFactory implements PgConnectionFactory {
  readonly location: string;
  private resolvedSecrets: string[] = [];
  private readonly stallTimeoutMs: number;

  constructor(
    private readonly connection: PostgresConnection,
    private readonly overrides: Partial<pg.ClientConfig> = {},
    options: PgSessionOptions = {},
  ) {
    this.location = locationOfConnection(connection);
    this.stallTimeoutMs = options.stallTimeoutMs ?? stallTimeoutFrom();
  }

  get secrets(): readonly string[] {
    return this.resolvedSecrets;
  }

  async connect(): Promise<PgSession> {
    const open = async (extra: Partial<pg.ClientConfig> = {}) => {
      const config = { ...(await clientConfigFor(this.connection)), ...this.overrides, ...extra };
      if (typeof config.password === 'string' && !this.resolvedSecrets.includes(config.password)) {
        this.resolvedSecrets.push(config.password);
      }
      const client = new pg.Client(config);
      // Until it is connected (and after a failed connect), errors are reported by connect() itself.
      client.on('error', () => undefined);
      try {
        await client.connect();
      } catch (error) {
        await endClient(client);
        throw toConnectorError(error, { location: this.location, secrets: this.resolvedSecrets });
      }
      return client;
    };
    const client = await open();
    // The stall probe must not wait longer than the silence it is asked about.
    const probeConfig = this.stallTimeoutMs > 0 ? { connectionTimeoutMillis: this.stallTimeoutMs } : {};
    return new NodePgSession(client, {
      end: () => endClient(client),
      withOther: usingOther(async () => {
        const other = await open(probeConfig);
        return { client: other, done: () => endClient(other) };
      }),
      location: this.location,
      stallTimeoutMs: this.stallTimeoutMs,
    });
  }

  async close(): Promise<void> {
    // Every session owns its connection and closes it on release.
  }
}

/** Sessions from a caller's pg.Pool (which the caller ends). */
export function pgPoolFactory(
  pool: pg.Pool,
  location = 'postgres://pool',
  options: PgSessionOptions = {},
): PgConnectionFactory {
  const stallTimeoutMs = options.stallTimeoutMs ?? stallTimeoutFrom();
  const connect = async () => {
    try {
      return await pool.connect();
    } catch (error) {
      throw toConnectorError(error, { location });
    }
  };
  return {
    location,
    async connect() {
      const client = await connect();
      return new NodePgSession(client, {
        end: async (broken) => client.release(broken),
        withOther: usingOther(async () => {
          const other = await connect();
          return { client: other, done: async () => other.release() };
        }),
        location,
        stallTimeoutMs,
      });
    },
    async close() {
      // The pool belongs to the caller.
    },
  };
}

/** A factory for a spec's connection; with `factory` given, that one. */
export function connectionFactoryFor(
  connection: PostgresConnection | undefined,
  factory: PgConnectionFactory | undefined,
): PgConnectionFactory {
  if (factory) return factory;
  if (!connection) throw new ConnectorError('bug', 'a postgres connector needs a connection or a connection factory');
  return new PgClientFactory(connection);
}
