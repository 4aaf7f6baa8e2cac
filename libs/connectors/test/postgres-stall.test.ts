import { createHash } from 'node:crypto';
import { TcpFaultProxy, testDatabaseUrl, uniqueName } from '@aoe/testing';
import { Client } from 'pg';
import {
  ConnectorError,
  PgClientFactory,
  PostgresSink,
  PostgresSource,
  quoteIdent,
  type Batch,
  type Row,
} from '../src';

/**
 * A stalled connection (TCP up, nothing moves) through TcpFaultProxy: reads and
 * loads fail as a retryable `timeout` instead of hanging, an aborted signal cuts
 * the session at once, a long statement that is really working is left alone,
 * and the retry holds exactly the source's rows.
 */
let url: string;
let admin: Client;
let proxy: TcpFaultProxy;
const schema = uniqueName('aoe_pgstall');
const q = quoteIdent(schema);
const ROWS = 20_000;

beforeAll(async () => {
  url = await testDatabaseUrl();
  admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${q}`);
  await admin.query(`CREATE TABLE ${q}.src (id int PRIMARY KEY, v text)`);
  await admin.query(`INSERT INTO ${q}.src SELECT i, repeat(md5(i::text), 6) FROM generate_series(1, ${ROWS}) i`);
  const parsed = new URL(url);
  proxy = await TcpFaultProxy.start({ upstream: { host: parsed.hostname, port: Number(parsed.port || 5432) } });
});

afterEach(async () => {
  await proxy.setMode({ kind: 'pass' });
});

afterAll(async () => {
  await proxy.stop();
  await admin.query(`DROP SCHEMA IF EXISTS ${q} CASCADE`);
  await admin.end();
});

/** Sessions through the proxy, with a short stall watch (0: off). */
const proxied = (stallTimeoutMs: number) => new PgClientFactory({ url: proxy.proxiedUrl(url) }, {}, { stallTimeoutMs });

const source = (stallTimeoutMs: number) =>
  new PostgresSource({ table: { schema, name: 'src' } }, { connectionFactory: proxied(stallTimeoutMs) });

async function checksum(table: string): Promise<{ count: string; md5: string | null }> {
  const result = await admin.query<{ count: string; md5: string | null }>(
    `SELECT count(*)::text AS count, md5(string_agg(id::text || ':' || v, '|' ORDER BY id)) AS md5 FROM ${q}.${quoteIdent(table)}`,
  );
  return result.rows[0];
}

function rowsChecksum(rows: Row[]): { count: string; md5: string | null } {
  const sorted = [...rows].sort((a, b) => Number(a.id) - Number(b.id));
  return {
    count: String(rows.length),
    md5: sorted.length === 0 ? null : md5(sorted.map((r) => `${Number(r.id)}:${r.v as string}`).join('|')),
  };
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** Reads everything; `afterFirst` runs once the first batch has arrived (the COPY is in flight). */
async function readAll(src: PostgresSource, signal?: AbortSignal, afterFirst?: () => Promise<void>): Promise<Row[]> {
  const rows: Row[] = [];
  let first = true;
  for await (const batch of src.read({ batchSize: 500, signal })) {
    rows.push(...batch.rows);
    if (first && afterFirst) await afterFirst();
    first = false;
  }
  return rows;
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );

describe('PostgresSource on a stalled connection', () => {
  it('fails as a retryable timeout once the server cannot be reached, and a re-read is exact', async () => {
    const failure = await rejection(readAll(source(500), undefined, () => proxy.setMode({ kind: 'stall' })));
    expect(failure).toBeInstanceOf(ConnectorError);
    expect(failure).toMatchObject({ errorClass: 'timeout' });
    expect((failure as Error).message).toMatch(/stalled: no bytes either way/);
    expect(proxy.stats().faults.stalled).toBeGreaterThanOrEqual(1);

    await proxy.setMode({ kind: 'pass' });
    expect(rowsChecksum(await readAll(source(500)))).toEqual(await checksum('src'));
  });

  it('an aborted signal cuts the session at once, even with the watch off; a deadline is a timeout', async () => {
    const deadline = AbortSignal.timeout(800);
    const failure = await rejection(readAll(source(0), deadline, () => proxy.setMode({ kind: 'stall' })));
    expect(failure).toBeInstanceOf(ConnectorError);
    expect(failure).toMatchObject({ errorClass: 'timeout' });
    expect((failure as Error).message).toMatch(/deadline passed/);

    await proxy.setMode({ kind: 'pass' });
    const controller = new AbortController();
    const cancelled = rejection(readAll(source(0), controller.signal, () => proxy.setMode({ kind: 'stall' })));
    setTimeout(() => controller.abort(new Error('run cancelled by the user')), 200);
    expect(((await cancelled) as Error).message).toMatch(/run cancelled by the user/);
  });

  it('pass-through COPY text is cut by an aborted signal too', async () => {
    await proxy.setMode({ kind: 'pass' });
    const src = source(0);
    const [stream] = await src.discover();
    const reader = await src.passThrough({
      columns: stream.columns.map((c) => c.name),
      signal: AbortSignal.timeout(800),
    });
    expect(reader).toBeDefined();
    const chunks = (async () => {
      let first = true;
      for await (const chunk of reader!.chunks()) {
        void chunk;
        if (first) await proxy.setMode({ kind: 'stall' });
        first = false;
      }
    })();
    expect(await rejection(chunks)).toMatchObject({ errorClass: 'timeout' });
  });
});

describe('a long statement that is working', () => {
  it('is not cut by the stall watch: the server says it is busy', async () => {
    const session = await proxied(300).connect();
    try {
      const result = await session.query<{ done: number }>('SELECT 1 AS done FROM pg_sleep(1.5)');
      expect(result.rows).toEqual([{ done: 1 }]);
    } finally {
      await session.release();
    }
  });
});

describe('PostgresSink on a stalled connection', () => {
  it('a load stalled mid-write fails as a timeout; the retry with the same run id loads every row once', async () => {
    const rows = await readAll(new PostgresSource({ connection: { url }, table: { schema, name: 'src' } }));
    const [stream] = await new PostgresSource({ connection: { url }, table: { schema, name: 'src' } }).discover();
    const target = { schema, name: 'stalled_target' };
    const runId = uniqueName('run');
    const load = (stall: boolean) => {
      const sink = new PostgresSink({ table: target }, { connectionFactory: proxied(500) });
      async function* batches(): AsyncGenerator<Batch> {
        for (let i = 0; i < rows.length; i += 5_000) {
          if (stall && i === 5_000) await proxy.setMode({ kind: 'stall' });
          const slice = rows.slice(i, i + 5_000);
          yield { rows: slice, positions: slice.map((r) => `src:${Number(r.id)}`), rejected: [], bytes: 0 };
        }
      }
      return sink.write(batches(), {
        runId,
        taskId: 'load',
        mode: 'append',
        schema: stream,
        schemaEvolution: 'additive',
      });
    };

    const failure = await rejection(load(true));
    expect(failure).toBeInstanceOf(ConnectorError);
    expect(failure).toMatchObject({ errorClass: 'timeout' });

    await proxy.setMode({ kind: 'pass' });
    expect(await load(false)).toMatchObject({ rowsWritten: ROWS });
    expect(await checksum('stalled_target')).toEqual(await checksum('src'));
  });
});
