import { createServer, type AddressInfo, type Server } from 'node:net';
import { testDatabaseUrl, uniqueName } from '@aoe/testing';
import { Client } from 'pg';
import {
  advanceCursor,
  ConnectorError,
  incrementalKeyColumns,
  PostgresSink,
  PostgresSource,
  quoteIdent,
  readTargetCheckpoint,
  type Batch,
  type CursorState,
  type ReadOptions,
} from '../src';

let url: string;
let admin: Client;
const schema = uniqueName('aoe_pgsrc');
const q = quoteIdent(schema);

beforeAll(async () => {
  url = await testDatabaseUrl();
  admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${q}`);
});

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${q} CASCADE`);
  await admin.end();
});

async function collect(source: PostgresSource, options: Partial<ReadOptions> = {}) {
  const batches: Batch[] = [];
  for await (const batch of source.read({ batchSize: 1000, ...options })) batches.push(batch);
  return {
    batches,
    rows: batches.flatMap((b) => b.rows),
    positions: batches.flatMap((b) => b.positions),
  };
}

const table = (name: string) => new PostgresSource({ kind: 'postgres', connection: { url }, table: { schema, name } });

describe('PostgresSource: discover', () => {
  beforeAll(async () => {
    await admin.query(`CREATE TYPE ${q}.mood AS ENUM ('sad', 'ok')`);
    await admin.query(`CREATE DOMAIN ${q}.positive AS integer CHECK (VALUE > 0)`);
    await admin.query(`
      CREATE TABLE ${q}.kinds (
        a integer NOT NULL, b bigint, c numeric(10,2), d double precision, e text NOT NULL, f varchar(5),
        g boolean, h date, i timestamp(3), j timestamptz, k jsonb, l bytea, m text[], n ${q}.mood,
        o ${q}.positive, p uuid, r interval, s int4range, t real, u smallint,
        PRIMARY KEY (e, a))`);
  });

  it('maps declared types to logical types, with nullability and the primary key', async () => {
    const [stream] = await table('kinds').discover();
    expect(stream.name).toBe('kinds');
    expect(stream.primaryKey).toEqual(['e', 'a']);
    expect(stream.columns.map((c) => [c.name, c.type, c.nullable, c.declaredType])).toEqual([
      ['a', 'integer', false, 'integer'],
      ['b', 'bigint', true, 'bigint'],
      ['c', 'decimal', true, 'numeric(10,2)'],
      ['d', 'number', true, 'double precision'],
      ['e', 'string', false, 'text'],
      ['f', 'string', true, 'character varying(5)'],
      ['g', 'boolean', true, 'boolean'],
      ['h', 'date', true, 'date'],
      ['i', 'timestamp', true, 'timestamp(3) without time zone'],
      ['j', 'timestamptz', true, 'timestamp with time zone'],
      ['k', 'json', true, 'jsonb'],
      ['l', 'binary', true, 'bytea'],
      ['m', 'json', true, 'text[]'],
      ['n', 'string', true, `${schema}.mood`],
      ['o', 'integer', true, `${schema}.positive`],
      ['p', 'string', true, 'uuid'],
      ['r', 'string', true, 'interval'],
      ['s', 'string', true, 'int4range'],
      ['t', 'number', true, 'real'],
      ['u', 'integer', true, 'smallint'],
    ]);
  });

  it('describes a query source from its result columns', async () => {
    const source = new PostgresSource({
      connection: { url },
      query: `SELECT a AS id, e, now() AS at, ARRAY[1,2] AS xs FROM ${q}.kinds;`,
    });
    const [stream] = await source.discover();
    expect(stream).toEqual({
      name: 'query',
      columns: [
        { name: 'id', type: 'integer', nullable: true, declaredType: 'integer' },
        { name: 'e', type: 'string', nullable: true, declaredType: 'text' },
        { name: 'at', type: 'timestamptz', nullable: true, declaredType: 'timestamp with time zone' },
        { name: 'xs', type: 'json', nullable: true, declaredType: 'integer[]' },
      ],
    });
    expect(await source.check()).toEqual({ ok: true });
  });

  it('refuses a query with two columns of one name, a missing table, and a bad spec', async () => {
    const twice = new PostgresSource({ connection: { url }, query: `SELECT 1 AS x, 2 AS x` });
    await expect(twice.discover()).rejects.toMatchObject({
      errorClass: 'bug',
      message: expect.stringContaining('"x" twice'),
    });
    await expect(table('nope').discover()).rejects.toMatchObject({ errorClass: 'schema-drift' });
    expect(await table('nope').check()).toEqual({ ok: false, message: expect.stringContaining('does not exist') });
    expect(() => new PostgresSource({ connection: { url } })).toThrow(ConnectorError);
    expect(() => new PostgresSource({ connection: { url }, query: 'SELECT 1', table: { name: 'x' } })).toThrow(
      ConnectorError,
    );
  });
});

describe('PostgresSource: read', () => {
  it('decodes every type from COPY text, keeping what a JavaScript value cannot hold exactly as text', async () => {
    await admin.query(`
      CREATE TABLE ${q}.vals (id int PRIMARY KEY, big bigint, n numeric, f float8, r real, b boolean, d date,
        ts timestamp, tz timestamptz, j jsonb, js json, bin bytea, arr text[], rng int4range, iv interval, s text)`);
    await admin.query(`
      INSERT INTO ${q}.vals VALUES
        (1, 9007199254740993, 1.10, 0.1, 1.1, true, '2024-02-29', '2024-01-02 03:04:05.678', '2024-01-02 03:04:05.678+02',
         '{"a": [1, "x\\ty"]}', '"scalar"', '\\x00ff5c0a', ARRAY['a', 'b"c', NULL], '[1,5)', '1 day 02:00:00',
         E'tab\\tnew\\nline back\\\\slash \\\\N'),
        (2, 42, 'NaN', 'Infinity', '-Infinity', false, '0044-03-15 BC', '2024-01-02 03:04:05.123456',
         '2024-01-02 03:04:05.123456+00', 'null', '[1]', '', '{}', 'empty', '-1 mons', ''),
        (3, NULL, NULL, 'NaN', NULL, NULL, 'infinity', 'infinity', '-infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (4, -5, -0.5, '-0', 3.4028235e38, true, '0099-12-31', '0099-12-31 23:59:59', '1900-01-01 00:00:00+00', '7', 'true',
         '\\x', ARRAY[]::text[], NULL, NULL, 'ünï 😀')`);
    const { rows } = await collect(table('vals'));
    expect(rows[0]).toEqual({
      id: 1,
      big: '9007199254740993',
      n: '1.10',
      f: 0.1,
      r: 1.1,
      b: true,
      d: '2024-02-29',
      ts: new Date('2024-01-02T03:04:05.678Z'),
      tz: new Date('2024-01-02T01:04:05.678Z'),
      j: { a: [1, 'x\ty'] },
      js: '"scalar"',
      bin: Buffer.from([0x00, 0xff, 0x5c, 0x0a]),
      arr: ['a', 'b"c', null],
      rng: '[1,5)',
      iv: '1 day 02:00:00',
      s: 'tab\tnew\nline back\\slash \\N',
    });
    expect(rows[1]).toMatchObject({
      big: 42,
      n: 'NaN',
      f: Infinity,
      r: -Infinity,
      d: '0044-03-15 BC',
      ts: '2024-01-02T03:04:05.123456',
      tz: '2024-01-02T03:04:05.123456Z',
      j: 'null',
      js: [1],
      bin: Buffer.alloc(0),
      arr: [],
      rng: 'empty',
      iv: '-1 mons',
      s: '',
    });
    expect(rows[2]).toMatchObject({ big: null, f: NaN, d: 'infinity', ts: 'infinity', tz: '-infinity', j: null });
    expect(rows[3]).toMatchObject({
      big: -5,
      n: '-0.5',
      f: -0,
      r: 3.4028235e38,
      d: '0099-12-31',
      ts: new Date('0099-12-31T23:59:59Z'),
      tz: new Date('1900-01-01T00:00:00Z'),
      j: '7',
      js: 'true',
      s: 'ünï 😀',
    });
  });

  it('reads in batches of the requested size with positions, and stops cleanly when the consumer does', async () => {
    await admin.query(
      `CREATE TABLE ${q}.many AS SELECT i AS id, repeat('x', 50) AS pad FROM generate_series(1, 2500) i`,
    );
    const { batches, positions } = await collect(table('many'), { batchSize: 1000 });
    expect(batches.map((b) => b.rows.length)).toEqual([1000, 1000, 500]);
    expect(positions[0]).toBe(`${schema}.many:1`);
    expect(positions[2499]).toBe(`${schema}.many:2500`);
    expect(batches.reduce((n, b) => n + b.bytes, 0)).toBeGreaterThan(2500 * 50);

    let seen = 0;
    for await (const batch of table('many').read({ batchSize: 10 })) {
      seen += batch.rows.length;
      if (seen >= 20) break;
    }
    expect(seen).toBe(20);
    // The read after an abandoned one works (the abandoned session was closed, not reused mid-COPY).
    expect((await collect(table('many'))).rows).toHaveLength(2500);
  });

  it('reads a query source in a read-only transaction', async () => {
    await admin.query(`CREATE SEQUENCE ${q}.seq`);
    const ok = new PostgresSource({
      connection: { url },
      query: `SELECT id, pad FROM ${q}.many WHERE id <= 3 ORDER BY id`,
    });
    expect((await collect(ok)).rows.map((r) => r.id)).toEqual([1, 2, 3]);
    const writes = new PostgresSource({ connection: { url }, query: `SELECT setval('${schema}.seq', 100) AS v` });
    await expect(collect(writes)).rejects.toMatchObject({ message: expect.stringContaining('read-only transaction') });
  });

  it('reads key ranges in parallel from one snapshot: every row exactly once', async () => {
    await admin.query(`CREATE TABLE ${q}.wide (id bigint PRIMARY KEY, v text)`);
    await admin.query(`INSERT INTO ${q}.wide SELECT i * 3 + (i % 2), 'v' || i FROM generate_series(-2000, 8006) i`);
    const expected = (await admin.query<{ k: string }>(`SELECT id::text AS k FROM ${q}.wide ORDER BY id`)).rows.map(
      (r) => Number(r.k),
    );
    const { rows, positions } = await collect(table('wide'), { batchSize: 500, partitions: 4 });
    const ids = rows.map((r) => r.id as number);
    expect(ids).toHaveLength(expected.length);
    expect(new Set(ids).size).toBe(expected.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(expected);
    const labels = new Set(positions.map((p) => p.replace(/:\d+$/, '')));
    expect(labels).toEqual(new Set([1, 2, 3, 4].map((i) => `${schema}.wide[p${i}]`)));

    // More partitions than keys, and an empty table.
    await admin.query(`CREATE TABLE ${q}.tiny (id int PRIMARY KEY)`);
    expect((await collect(table('tiny'), { partitions: 8 })).rows).toEqual([]);
    await admin.query(`INSERT INTO ${q}.tiny VALUES (5), (6)`);
    expect((await collect(table('tiny'), { partitions: 8 })).rows.map((r) => r.id).sort()).toEqual([5, 6]);
    // No integer key: one stream.
    expect((await collect(table('many'), { partitions: 4 })).positions[0]).toBe(`${schema}.many:1`);
  });

  it('combines partitions with an incremental mark', async () => {
    const state: CursorState = { column: 'id', value: 6000, keysAtValue: [] };
    const { rows } = await collect(table('wide'), { partitions: 3, cursorColumn: 'id', cursor: state });
    const expected = await admin.query(`SELECT count(*)::int AS n FROM ${q}.wide WHERE id >= 6000`);
    expect(rows).toHaveLength(expected.rows[0].n as number);
    expect(rows.every((r) => (r.id as number) >= 6000)).toBe(true);
  });
});

describe('PostgresSource: incremental', () => {
  const ts = (s: string) => `2024-01-01 00:00:0${s}+00`;

  it('loads exactly the new rows, including rows at the previous mark, with no duplicates', async () => {
    await admin.query(`CREATE TABLE ${q}.events (id int PRIMARY KEY, updated_at timestamptz, v text)`);
    await admin.query(
      `INSERT INTO ${q}.events VALUES ($1, $2, 'a'), ($3, $4, 'b'), ($5, $4, 'c'), ($6, $7, 'd'), ($8, $7, 'e'), (9, NULL, 'n')`,
      [1, ts('1'), 2, ts('2.5'), 3, 4, ts('3.123456'), 5],
    );
    const source = table('events');
    const [stream] = await source.discover();
    const keyColumns = incrementalKeyColumns(stream);
    expect(keyColumns).toEqual(['id']);
    const target = { connection: { url }, table: { schema, name: 'events_copy' } };
    const sink = new PostgresSink(target);

    const load = async () => {
      const previous = await readTargetCheckpoint(target, 'pipe', 'events');
      let next = previous;
      async function* tracked(): AsyncGenerator<Batch> {
        for await (const batch of source.read({ batchSize: 2, cursorColumn: 'updated_at', cursor: previous })) {
          next = advanceCursor(next, batch.rows, 'updated_at', keyColumns);
          yield batch;
        }
      }
      return sink.write(tracked(), {
        runId: uniqueName('run'),
        taskId: 'load',
        mode: 'append',
        schema: stream,
        schemaEvolution: 'additive',
        checkpoint: { pipelineId: 'pipe', stream: 'events', state: () => next },
      });
    };

    expect((await load()).rowsWritten).toBe(6);
    expect(await readTargetCheckpoint(target, 'pipe', 'events')).toEqual({
      column: 'updated_at',
      value: '2024-01-01T00:00:03.123456Z',
      keysAtValue: ['4', '5'],
    });

    // Two rows at exactly the mark, one later, one before it (missed by design), one with no cursor.
    await admin.query(
      `INSERT INTO ${q}.events VALUES (6, $1, 'f'), (7, $1, 'g'), (8, $2, 'h'), (10, $3, 'late'), (11, NULL, 'x')`,
      [ts('3.123456'), ts('4'), ts('2')],
    );
    expect((await load()).rowsWritten).toBe(3);
    expect(await readTargetCheckpoint(target, 'pipe', 'events')).toEqual({
      column: 'updated_at',
      value: '2024-01-01T00:00:04.000000Z',
      keysAtValue: ['8'],
    });
    expect((await load()).rowsWritten).toBe(0);

    const copied = await admin.query<{ id: number }>(`SELECT id FROM ${q}.events_copy ORDER BY id`);
    expect(copied.rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keeps keys at the mark across integer, text and composite-key cursors', async () => {
    await admin.query(
      `CREATE TABLE ${q}.tagged (k1 int, k2 text, seq bigint, tag text COLLATE "C", PRIMARY KEY (k1, k2))`,
    );
    await admin.query(
      `INSERT INTO ${q}.tagged VALUES (1, 'a', 10, 'B'), (1, 'b', 20, 'a'), (2, 'a', 20, 'a'), (3, 'x', 5, 'Z')`,
    );
    const source = table('tagged');
    const first = await collect(source, { cursorColumn: 'seq' });
    const state = advanceCursor(undefined, first.rows, 'seq', ['k1', 'k2']);
    expect(state).toEqual({ column: 'seq', value: 20, keysAtValue: ['[1,"b"]', '[2,"a"]'] });
    await admin.query(`INSERT INTO ${q}.tagged VALUES (2, 'b', 20, 'c')`);
    const second = await collect(source, { cursor: state });
    expect(second.rows).toEqual([{ k1: 2, k2: 'b', seq: 20, tag: 'c' }]);

    const byTag = await collect(source, { cursorColumn: 'tag' });
    expect(byTag.rows.map((r) => r.tag)).toEqual(['B', 'Z', 'a', 'a', 'c']);
    const tagState = advanceCursor(undefined, byTag.rows.slice(0, 4), 'tag', ['k1', 'k2']);
    const rest = await collect(source, { cursor: tagState });
    expect(rest.rows.map((r) => r.tag)).toEqual(['c']);

    await expect(collect(source, { cursorColumn: 'missing' })).rejects.toMatchObject({ errorClass: 'schema-drift' });
    await admin.query(`CREATE TABLE ${q}.jcur (id int, j jsonb)`);
    await expect(collect(table('jcur'), { cursorColumn: 'j' })).rejects.toMatchObject({ errorClass: 'bug' });
    // Enums and intervals do not order as their text does.
    await expect(collect(table('kinds'), { cursorColumn: 'n' })).rejects.toMatchObject({ errorClass: 'bug' });
    await expect(collect(table('kinds'), { cursorColumn: 'r' })).rejects.toMatchObject({ errorClass: 'bug' });
    expect((await collect(table('kinds'), { cursorColumn: 'p' })).rows).toEqual([]);
  });
});

describe('PostgresSource: connection failures', () => {
  const PASSWORD = 'pw-Zq81-very-secret';
  let server: Server;
  let received = '';

  /** A server that asks for a cleartext password and answers 28P01, quoting the password back. */
  beforeAll(async () => {
    server = createServer((socket) => {
      socket.once('data', () => {
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
        socket.once('data', (message: Buffer) => {
          received += message.toString('utf8');
          const fields = Buffer.concat([
            Buffer.from('SFATAL\0VFATAL\0C28P01\0'),
            Buffer.from(`Mpassword authentication failed for user "alice" (got ${PASSWORD})\0\0`),
          ]);
          const header = Buffer.alloc(5);
          header.write('E', 0);
          header.writeUInt32BE(fields.length + 4, 1);
          socket.end(Buffer.concat([header, fields]));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.AOE_TEST_PG_PASSWORD = PASSWORD;
  });

  afterAll(async () => {
    delete process.env.AOE_TEST_PG_PASSWORD;
    await new Promise((resolve) => server.close(resolve));
  });

  it('maps a wrong password to an auth error that never shows the password', async () => {
    const port = (server.address() as AddressInfo).port;
    const source = new PostgresSource({
      connection: { host: '127.0.0.1', port, user: 'alice', database: 'db', password: { env: 'AOE_TEST_PG_PASSWORD' } },
      table: { name: 't' },
    });
    const error = await source.discover().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ errorClass: 'auth' });
    const text = `${(error as Error).message} ${(error as Error).stack ?? ''} ${JSON.stringify(error)}`;
    expect(text).toContain('password authentication failed');
    expect(text).toContain(`127.0.0.1:${port}/db`);
    expect(text).not.toContain(PASSWORD);
    expect((error as Error).cause).toBeUndefined();
    expect(received).toContain(PASSWORD);

    const check = await source.check();
    expect(check.ok).toBe(false);
    expect(check.message).not.toContain(PASSWORD);
    await expect(collect(source)).rejects.toMatchObject({ errorClass: 'auth' });
  });

  it('maps an unknown role to auth and an unreachable host to transient-network', async () => {
    const role = new PostgresSource({
      connection: { url: url.replace('postgres@', 'no_such_role_x@') },
      table: { name: 't' },
    });
    await expect(role.discover()).rejects.toMatchObject({ errorClass: 'auth' });
    const closed = new PostgresSource({ connection: { host: '127.0.0.1', port: 1, user: 'x' }, table: { name: 't' } });
    await expect(closed.discover()).rejects.toMatchObject({
      errorClass: 'transient-network',
      message: expect.stringContaining('127.0.0.1:1'),
    });
    await expect(collect(closed)).rejects.toMatchObject({ errorClass: 'transient-network' });
    const missingSecret = new PostgresSource({
      connection: { host: '127.0.0.1', password: { env: 'AOE_TEST_NOT_SET_ANYWHERE' } },
      table: { name: 't' },
    });
    await expect(missingSecret.discover()).rejects.toMatchObject({ errorClass: 'auth' });
  });
});
