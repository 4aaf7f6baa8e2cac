import type { Readable, Writable } from 'node:stream';
import type { PostgresConnection } from '@aoe/contracts';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ConnectorError } from '../connector-error';
import { resolveSecret } from '../secrets';
import { toConnectorError } from './pg-errors';

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

/** A session over one node-postgres client (a dedicated Client or a pool's client). */
class NodePgSession implements PgSession {
  private failure: Error | undefined;
  private released = false;
  private readonly onError = (error: Error) => {
    this.failure ??= error;
  };

  constructor(
    private readonly client: pg.ClientBase,
    private readonly end: (broken: boolean) => Promise<void>,
    private readonly killer: (pid: number) => Promise<void>,
  ) {
    // A checked-out client that loses its server emits 'error'; unhandled, that would crash the process.
    client.on('error', this.onError);
  }

  async query<R = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<PgQueryResult<R>> {
    const result = await this.client.query(text, [...params]);
    return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length, fields: result.fields };
  }

  copyFrom(text: string, options: { highWaterMark?: number } = {}): Writable {
    return this.client.query(copyFrom(text, { highWaterMark: options.highWaterMark ?? COPY_HIGH_WATER_MARK }));
  }

  copyTo(text: string): Readable {
    return this.client.query(copyTo(text));
  }

  async terminate(): Promise<void> {
    const pid = (this.client as unknown as { processID?: number | null }).processID;
    if (typeof pid !== 'number') throw new ConnectorError('bug', 'the session has no server process id');
    await this.killer(pid);
  }

  async release(broken = false): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      await this.end(broken || this.failure !== undefined);
    } finally {
      // A dedicated client keeps its own no-op listener; a pool's client gets the pool's back.
      this.client.removeListener('error', this.onError);
    }
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

/** `pg_terminate_backend(pid)` from another connection. */
async function terminateWith(
  connect: () => Promise<{ client: pg.ClientBase; done: () => Promise<void> }>,
  pid: number,
): Promise<void> {
  const { client, done } = await connect();
  try {
    await client.query('SELECT pg_terminate_backend($1)', [pid]);
  } finally {
    await done();
  }
}

/** One dedicated connection per session, made from a connection spec. */
export class PgClientFactory implements PgConnectionFactory {
  readonly location: string;
  private resolvedSecrets: string[] = [];

  constructor(
    private readonly connection: PostgresConnection,
    private readonly overrides: Partial<pg.ClientConfig> = {},
  ) {
    this.location = locationOfConnection(connection);
  }

  get secrets(): readonly string[] {
    return this.resolvedSecrets;
  }

  async connect(): Promise<PgSession> {
    const open = async () => {
      const config = { ...(await clientConfigFor(this.connection)), ...this.overrides };
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
    return new NodePgSession(
      client,
      () => endClient(client),
      (pid) =>
        terminateWith(async () => {
          const other = await open();
          return { client: other, done: () => endClient(other) };
        }, pid),
    );
  }

  async close(): Promise<void> {
    // Every session owns its connection and closes it on release.
  }
}

/** Sessions from a caller's pg.Pool (which the caller ends). */
export function pgPoolFactory(pool: pg.Pool, location = 'postgres://pool'): PgConnectionFactory {
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
      return new NodePgSession(
        client,
        async (broken) => client.release(broken),
        (pid) =>
          terminateWith(async () => {
            const other = await connect();
            return { client: other, done: async () => other.release() };
          }, pid),
      );
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
