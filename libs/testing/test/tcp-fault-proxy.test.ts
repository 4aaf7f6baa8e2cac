import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as natsConnect } from '@nats-io/transport-node';
import { ConnectorError, PostgresSource, type Row } from '@aoe/connectors';
import { TcpFaultProxy, testDatabaseUrl, testNatsUrl, uniqueName, waitUntil } from '@aoe/testing';
import { Client } from 'pg';

const upstreamOf = (url: string) => {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
};

/** The error a promise rejects with (the test fails if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection, got a result');
}

describe('TcpFaultProxy in front of PostgreSQL', () => {
  let databaseUrl: string;
  let proxy: TcpFaultProxy;
  const schema = uniqueName('faults_tcp');
  const clients: Client[] = [];

  /** A pg client through the proxy; its error events are kept, not thrown. */
  async function client(options: { connectionTimeoutMillis?: number; query_timeout?: number } = {}): Promise<Client> {
    const c = new Client({ connectionString: proxy.proxiedUrl(databaseUrl), ...options });
    c.on('error', () => undefined);
    clients.push(c);
    await c.connect();
    return c;
  }

  beforeAll(async () => {
    databaseUrl = await testDatabaseUrl();
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(
      `CREATE TABLE "${schema}".items AS SELECT g AS id, 'item ' || g AS name, repeat('x', 40) AS pad FROM generate_series(1, 5000) g`,
    );
    await admin.query(`ALTER TABLE "${schema}".items ADD PRIMARY KEY (id)`);
    await admin.end();
  });
  beforeEach(async () => {
    proxy = await TcpFaultProxy.start({ upstream: upstreamOf(databaseUrl) });
  });
  afterEach(async () => {
    await proxy.stop();
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  });
  afterAll(async () => {
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('passes traffic and counts connections', async () => {
    const c = await client();
    expect((await c.query('SELECT 41 + 1 AS answer')).rows).toEqual([{ answer: 42 }]);
    expect(proxy.stats()).toMatchObject({ accepted: 1, live: 1, faults: { reset: 0 } });
    expect(proxy.stats().bytesToUpstream).toBeGreaterThan(0);
    expect(proxy.stats().bytesToClient).toBeGreaterThan(0);
  });

  it('drop: a live connection is reset mid-query (ECONNRESET) and a new one is reset on arrival', async () => {
    const c = await client();
    const connected = proxy.stats().bytesToUpstream;
    const sleeping = c.query('SELECT pg_sleep(30)');
    await waitUntil(
      () => (proxy.stats().bytesToUpstream > connected ? true : undefined),
      'the query to reach the server',
    );
    await proxy.setMode({ kind: 'drop' });
    expect(await rejection(sleeping)).toMatchObject({ code: 'ECONNRESET' });
    expect(await rejection(client())).toMatchObject({ code: 'ECONNRESET' });
    expect(proxy.stats()).toMatchObject({ accepted: 2, live: 0, faults: { reset: 2 } });

    await proxy.setMode({ kind: 'pass' });
    expect((await (await client()).query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('drop after N bytes: a large result is cut, and the PostgreSQL source classes it as transient; a re-read is exact', async () => {
    const source = new PostgresSource({
      kind: 'postgres',
      connection: { url: proxy.proxiedUrl(databaseUrl) },
      table: { schema, name: 'items' },
    });
    await proxy.setMode({ kind: 'drop', afterBytes: 64 * 1024 });
    const rows: Row[] = [];
    const failure = await rejection(
      (async () => {
        for await (const batch of source.read({ batchSize: 500 })) rows.push(...batch.rows);
      })(),
    );
    expect(failure).toBeInstanceOf(ConnectorError);
    expect((failure as ConnectorError).errorClass).toBe('transient-network');
    expect(rows.length).toBeLessThan(5000);
    expect(proxy.stats().faults.reset).toBeGreaterThanOrEqual(1);

    await proxy.setMode({ kind: 'pass' });
    const again: Row[] = [];
    for await (const batch of source.read({ batchSize: 500 })) again.push(...batch.rows);
    expect(again.map((r) => r.id)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
  });

  it('drop on a schedule: connections opened one after another are each reset by the timer', async () => {
    await proxy.setMode({ kind: 'drop', everyMs: 200 });
    for (let i = 0; i < 2; i++) {
      // On a slow machine the timer may cut the connection before the query is sent: either way it is reset.
      const failure = await rejection(client().then((c) => c.query('SELECT pg_sleep(30)')));
      expect(failure).toMatchObject({ code: 'ECONNRESET' });
    }
    expect(proxy.stats().faults.reset).toBeGreaterThanOrEqual(2);
  });

  it("stall: the client's connect timeout and query timeout fire; held bytes flow again after pass", async () => {
    await proxy.setMode({ kind: 'stall' });
    const connectFailure = await rejection(client({ connectionTimeoutMillis: 300 }));
    expect(connectFailure.message).toMatch(/timeout/i);

    await proxy.setMode({ kind: 'pass' });
    const c = await client({ query_timeout: 300 });
    await proxy.setMode({ kind: 'stall' });
    expect((await rejection(c.query('SELECT 1'))).message).toMatch(/timeout/i);
    expect(proxy.stats().faults.stalled).toBeGreaterThanOrEqual(2);

    await proxy.setMode({ kind: 'pass' });
    const fresh = await client();
    expect((await fresh.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
  });

  it('refuse: the listener is closed (ECONNREFUSED), then opens again on the same port', async () => {
    const port = proxy.port;
    await proxy.setMode({ kind: 'refuse' });
    expect(await rejection(client())).toMatchObject({ code: 'ECONNREFUSED' });
    await proxy.setMode({ kind: 'pass' });
    expect(proxy.port).toBe(port);
    expect((await (await client()).query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
    expect(proxy.stats().faults.refusals).toBe(1);
  });
});

describe('TcpFaultProxy in front of HTTP and NATS', () => {
  let server: Server;
  let proxy: TcpFaultProxy | undefined;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('x'.repeat(100_000)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('latency: every chunk is delayed, in order, and the body arrives whole', async () => {
    proxy = await TcpFaultProxy.start({
      upstream: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
      mode: { kind: 'latency', ms: 20 },
    });
    const body = await (await fetch(`http://${proxy.address}/`)).text();
    expect(body).toBe('x'.repeat(100_000));
    expect(proxy.stats().faults.delayedChunks).toBeGreaterThan(1);
  });

  it('NATS: a reset connection is seen by the client, which reconnects through the proxy', async () => {
    const natsUrl = await testNatsUrl();
    proxy = await TcpFaultProxy.start({ upstream: upstreamOf(natsUrl.replace(/^nats:/, 'http:')) });
    const nc = await natsConnect({ servers: proxy.address, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    const seen: string[] = [];
    void (async () => {
      for await (const status of nc.status()) seen.push(status.type);
    })();
    try {
      await nc.flush();
      expect(proxy.resetAll()).toBe(1);
      await waitUntil(() => (seen.includes('reconnect') ? true : undefined), 'the client to reconnect');
      expect(seen).toContain('disconnect');
      await nc.flush();
      expect(proxy.stats().faults.reset).toBe(1);
      expect(proxy.stats().accepted).toBeGreaterThanOrEqual(2);
    } finally {
      await nc.close();
    }
  });
});
