import { testDatabaseUrl, uniqueName } from '@aoe/testing';
import { Client, Pool } from 'pg';
import {
  ConnectorError,
  InsertStagingWriter,
  PostgresSink,
  PostgresSource,
  pgPoolFactory,
  quoteIdent,
  readTargetCheckpoint,
  type Batch,
  type PostgresWriteResult,
  type Row,
  type StreamSchema,
  type WriteOptions,
} from '../src';

let url: string;
let admin: Client;
const schemas: string[] = [];

function newSchema(suffix = ''): string {
  const name = uniqueName('aoe_pgsink') + suffix;
  schemas.push(name);
  return name;
}

beforeAll(async () => {
  url = await testDatabaseUrl();
  admin = new Client({ connectionString: url });
  await admin.connect();
});

afterAll(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  await admin.end();
});

async function* batchesOf(rows: Row[], size = 2): AsyncGenerator<Batch> {
  for (let i = 0; i < rows.length; i += size) {
    const slice = rows.slice(i, i + size);
    yield { rows: slice, positions: slice.map((_, j) => `test:${i + j + 1}`), rejected: [], bytes: 0 };
  }
}

function options(schema: StreamSchema, overrides: Partial<WriteOptions> = {}): WriteOptions {
  return {
    runId: uniqueName('run'),
    taskId: 'load',
    mode: 'append',
    schema,
    schemaEvolution: 'additive',
    ...overrides,
  };
}

async function tableRows(schema: string, table: string, order = 'id'): Promise<Row[]> {
  const result = await admin.query(
    `SELECT * FROM ${quoteIdent(schema)}.${quoteIdent(table)} ORDER BY ${quoteIdent(order)}`,
  );
  return result.rows as Row[];
}

async function checksum(schema: string, table: string): Promise<{ count: string; md5: string | null }> {
  const result = await admin.query<{ count: string; md5: string | null }>(
    `SELECT count(*)::text AS count, md5(string_agg(t::text, '|' ORDER BY t.id)) AS md5
       FROM ${quoteIdent(schema)}.${quoteIdent(table)} t`,
  );
  return result.rows[0];
}

const people: StreamSchema = {
  name: 'people',
  columns: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'name', type: 'string', nullable: true },
  ],
  primaryKey: ['id'],
};

describe('PostgresSink + PostgresSource: PG to PG', () => {
  it('copies every type with equal row count and checksum', async () => {
    const schema = newSchema();
    const q = quoteIdent(schema);
    await admin.query(`CREATE SCHEMA ${q}`);
    await admin.query(`
      CREATE TABLE ${q}.src (
        id integer PRIMARY KEY, name text, amount numeric(12,2), score double precision, ratio real,
        flag boolean, born date, seen timestamp, at timestamptz, doc jsonb, raw bytea,
        big bigint, small smallint, code varchar(12), ref uuid)`);
    await admin.query(`
      INSERT INTO ${q}.src
      SELECT i,
             CASE i % 7 WHEN 0 THEN NULL WHEN 1 THEN E'tab\\there' WHEN 2 THEN E'line\\nbreak\\r\\n' WHEN 3 THEN E'back\\\\slash \\\\N'
                        WHEN 4 THEN 'ünïcødé 日本 😀' WHEN 5 THEN '' ELSE 'plain ' || i END,
             (i * 1.25)::numeric(12,2), i / 3.0, (i / 7.0)::real,
             i % 2 = 0, DATE '2000-01-01' + i,
             TIMESTAMP '2024-01-01 00:00:00' + i * INTERVAL '1.000123 second',
             TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '1 millisecond',
             CASE WHEN i % 5 = 0 THEN NULL ELSE jsonb_build_object('i', i, 'tags', jsonb_build_array('a', i), 's', E'q"\\t') END,
             CASE WHEN i % 4 = 0 THEN NULL ELSE decode(lpad(to_hex(i), 8, '0') || '000a09005c', 'hex') END,
             9007199254740993 + i, (i % 30000)::smallint, 'c' || i, md5(i::text)::uuid
        FROM generate_series(1, 5000) AS i`);

    const source = new PostgresSource({ kind: 'postgres', connection: { url }, table: { schema, name: 'src' } });
    const [stream] = await source.discover();
    const sink = new PostgresSink({ kind: 'postgres', connection: { url }, table: { schema, name: 'dst' } });
    const result = await sink.write(source.read({ batchSize: 700 }), options(stream));

    expect(result).toMatchObject({ rowsWritten: 5000, alreadyCommitted: false });
    expect(result.bytesWritten).toBeGreaterThan(0);
    expect(result.location).toMatch(/^postgres:\/\/127\.0\.0\.1:5432\/test#aoe_pgsink_.*\.dst$/);
    expect(result.location).not.toContain('@');
    const [src, dst] = [await checksum(schema, 'src'), await checksum(schema, 'dst')];
    expect(dst).toEqual(src);
    expect(src.count).toBe('5000');
    // No staging table is left behind.
    const staging = await admin.query(
      `SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '\\_aoe\\_stage%'`,
      [schema],
    );
    expect(staging.rowCount).toBe(0);
  });

  it('loads hostile table and column names verbatim, without injection', async () => {
    const schema = newSchema('"; DROP SCHEMA public; --');
    const q = quoteIdent(schema);
    const hostile = [
      'select',
      'from',
      'a"b',
      'with space',
      'semi;colon',
      '"; DROP TABLE victim; --',
      "it's",
      '__proto__',
      'constructor',
      'ÜNÏ',
    ];
    await admin.query(`CREATE SCHEMA ${q}`);
    await admin.query(`CREATE TABLE ${q}.victim (x int)`);
    await admin.query(`INSERT INTO ${q}.victim VALUES (42)`);
    const table = 'Robert"); DROP TABLE victim; --';
    await admin.query(
      `CREATE TABLE ${q}.${quoteIdent(table)} (id int PRIMARY KEY, ${hostile.map((h) => `${quoteIdent(h)} text`).join(', ')})`,
    );
    const values = hostile.map((h) => `'; DROP TABLE victim; -- ${h.replaceAll("'", "''")}`);
    await admin.query(
      `INSERT INTO ${q}.${quoteIdent(table)} VALUES (1, ${hostile.map((_, i) => `$${i + 1}`).join(', ')}), (2, ${hostile.map(() => 'NULL').join(', ')})`,
      values,
    );

    const source = new PostgresSource({ connection: { url }, table: { schema, name: table } });
    const [stream] = await source.discover();
    expect(stream.columns.map((c) => c.name)).toEqual(['id', ...hostile]);
    const read: Row[] = [];
    for await (const batch of source.read({ batchSize: 10 })) read.push(...batch.rows);
    expect(Object.prototype.hasOwnProperty.call(read[0], '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(read[0])).toBe(Object.prototype);

    const target = `${table} copy`;
    const sink = new PostgresSink({ connection: { url }, table: { schema, name: target } });
    await sink.write(batchesOf(read), options(stream, { mode: 'merge' }));
    // A second, merging load over the same names.
    await sink.write(batchesOf(read), options(stream, { mode: 'merge' }));

    const victim = await admin.query(`SELECT x FROM ${q}.victim`);
    expect(victim.rows).toEqual([{ x: 42 }]);
    const columns = await admin.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
      [schema, target],
    );
    expect(columns.rows.map((r) => r.column_name)).toEqual(['id', ...hostile]);
    const loaded = await admin.query(`SELECT * FROM ${q}.${quoteIdent(target)} ORDER BY id`);
    expect(loaded.rows[0]).toEqual(Object.fromEntries([['id', 1], ...hostile.map((h, i) => [h, values[i]])]));
    expect(loaded.rows[1]).toEqual(Object.fromEntries([['id', 2], ...hostile.map((h) => [h, null])]));
  });

  it('refuses names PostgreSQL would truncate', async () => {
    const sink = new PostgresSink({ connection: { url }, table: { schema: newSchema(), name: 't' } });
    const long: StreamSchema = { name: 't', columns: [{ name: 'x'.repeat(64), type: 'string', nullable: true }] };
    await expect(sink.write(batchesOf([]), options(long))).rejects.toMatchObject({ errorClass: 'schema-drift' });
  });
});

describe('PostgresSink: load modes', () => {
  it('append retried with the same runId does not duplicate', async () => {
    const schema = newSchema();
    const sink = new PostgresSink({ connection: { url }, table: { schema, name: 'people' } });
    const rows = [
      { id: 1, name: 'ada' },
      { id: 2, name: 'bob' },
      { id: 3, name: 'cy' },
    ];
    const opts = options(people);
    const first = await sink.write(batchesOf(rows), opts);
    let pulled = 0;
    async function* counted() {
      for await (const batch of batchesOf(rows)) {
        pulled++;
        yield batch;
      }
    }
    const again = await sink.write(counted(), opts);
    expect(first).toMatchObject({ rowsWritten: 3, alreadyCommitted: false });
    expect(again).toMatchObject({ rowsWritten: 3, alreadyCommitted: true, bytesWritten: 0 });
    expect(pulled).toBe(0);
    // A new run appends again: append means append.
    await sink.write(batchesOf(rows), options(people));
    expect(await tableRows(schema, 'people')).toHaveLength(6);
    const ledger = await admin.query(
      `SELECT run_id, task_id, table_name, mode, rows FROM ${quoteIdent(schema)}._aoe_loads`,
    );
    expect(ledger.rows).toContainEqual({
      run_id: opts.runId,
      task_id: 'load',
      table_name: `"${schema}"."people"`,
      mode: 'append',
      rows: '3',
    });
  });

  it('replace swaps the whole table in one transaction', async () => {
    const schema = newSchema();
    const sink = new PostgresSink({ connection: { url }, table: { schema, name: 'people' } });
    await sink.write(
      batchesOf([
        { id: 1, name: 'a' },
        { id: 2, name: 'b' },
        { id: 3, name: 'c' },
      ]),
      options(people),
    );
    const result = await sink.write(
      batchesOf([
        { id: 7, name: 'x' },
        { id: 8, name: 'y' },
      ]),
      options(people, { mode: 'replace' }),
    );
    expect(result.rowsWritten).toBe(2);
    expect(await tableRows(schema, 'people')).toEqual([
      { id: 7, name: 'x' },
      { id: 8, name: 'y' },
    ]);
    await sink.write(batchesOf([]), options(people, { mode: 'replace' }));
    expect(await tableRows(schema, 'people')).toEqual([]);
  });

  it('merge upserts on the primary key in place, the last row of a key winning', async () => {
    const schema = newSchema();
    const sink = new PostgresSink({ connection: { url }, table: { schema, name: 'people' } });
    await sink.write(
      batchesOf([
        { id: 1, name: 'a' },
        { id: 2, name: 'b' },
        { id: 3, name: 'c' },
      ]),
      options(people, { mode: 'merge' }),
    );
    const before = await admin.query(`SELECT ctid::text, id FROM ${quoteIdent(schema)}.people WHERE id = 1`);
    const result = await sink.write(
      batchesOf([
        { id: 2, name: 'B1' },
        { id: 4, name: 'd1' },
        { id: 2, name: 'B2' },
        { id: 4, name: 'd2' },
        { id: 4, name: 'd3' },
      ]),
      options(people, { mode: 'merge' }),
    );
    expect(result.rowsWritten).toBe(2);
    expect(await tableRows(schema, 'people')).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'B2' },
      { id: 3, name: 'c' },
      { id: 4, name: 'd3' },
    ]);
    const after = await admin.query(`SELECT ctid::text, id FROM ${quoteIdent(schema)}.people WHERE id = 1`);
    expect(after.rows).toEqual(before.rows);
    const pk = await admin.query(`SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`, [
      `${quoteIdent(schema)}.people`,
    ]);
    expect(pk.rowCount).toBe(1);
  });

  it('merge without a key, or into a table without a matching unique constraint, is refused', async () => {
    const schema = newSchema();
    const sink = new PostgresSink({ connection: { url }, table: { schema, name: 'people' } });
    const keyless: StreamSchema = { ...people, primaryKey: undefined };
    await expect(sink.write(batchesOf([]), options(keyless, { mode: 'merge' }))).rejects.toMatchObject({
      errorClass: 'bug',
    });
    await expect(
      sink.write(batchesOf([]), options(people, { mode: 'merge', primaryKey: ['nope'] })),
    ).rejects.toMatchObject({ errorClass: 'bug' });
    await sink.write(batchesOf([{ id: 1, name: 'a' }]), options(people));
    await expect(sink.write(batchesOf([]), options(people, { mode: 'merge' }))).rejects.toMatchObject({
      errorClass: 'schema-drift',
      message: expect.stringContaining('PRIMARY KEY or UNIQUE'),
    });
  });
});

describe('PostgresSink: schema evolution', () => {
  it('adds columns, accepts wider target types, refuses a retype unless schemaEvolution is any', async () => {
    const schema = newSchema();
    const sink = new PostgresSink({ connection: { url }, table: { schema, name: 'people' } });
    await sink.write(batchesOf([{ id: 1, name: 'a' }]), options(people));

    const wider: StreamSchema = {
      name: 'people',
      columns: [...people.columns, { name: 'score', type: 'decimal', nullable: true }],
    };
    await sink.write(batchesOf([{ id: 2, name: 'b', score: '1.50' }]), options(wider));
    expect(await tableRows(schema, 'people')).toEqual([
      { id: 1, name: 'a', score: null },
      { id: 2, name: 'b', score: '1.50' },
    ]);

    // integer data into a numeric column: accepted as is.
    const narrower: StreamSchema = {
      name: 'people',
      columns: [...people.columns, { name: 'score', type: 'integer', nullable: true }],
    };
    await sink.write(batchesOf([{ id: 3, name: 'c', score: 7 }]), options(narrower));

    const retyped: StreamSchema = {
      name: 'people',
      columns: [
        { name: 'id', type: 'string', nullable: false },
        { name: 'name', type: 'binary', nullable: true },
      ],
    };
    const refused = sink.write(batchesOf([{ id: 'x', name: Buffer.from('x') }]), options(retyped));
    await expect(refused).rejects.toThrow(ConnectorError);
    await expect(refused).rejects.toMatchObject({
      errorClass: 'schema-drift',
      message: expect.stringMatching(
        /column "id" is integer in the target but string in the data; column "name" is text in the target but binary/,
      ),
    });
    expect(await tableRows(schema, 'people')).toHaveLength(3);

    const columnTypes = async () =>
      (
        await admin.query<{ column_name: string; data_type: string }>(
          `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'people' ORDER BY ordinal_position`,
          [schema],
        )
      ).rows;
    expect(await columnTypes()).toEqual([
      { column_name: 'id', data_type: 'integer' },
      { column_name: 'name', data_type: 'text' },
      { column_name: 'score', data_type: 'numeric' },
    ]);

    // schemaEvolution 'any': retype id to text, drop what the data no longer has.
    const anyway: StreamSchema = { name: 'people', columns: [{ name: 'id', type: 'string', nullable: false }] };
    await sink.write(batchesOf([{ id: 'x' }]), options(anyway, { schemaEvolution: 'any' }));
    expect(await columnTypes()).toEqual([{ column_name: 'id', data_type: 'text' }]);
    expect(await tableRows(schema, 'people')).toEqual([{ id: '1' }, { id: '2' }, { id: '3' }, { id: 'x' }]);
  });

  it('refuses a load that leaves out a NOT NULL column', async () => {
    const schema = newSchema();
    await admin.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await admin.query(
      `CREATE TABLE ${quoteIdent(schema)}.t (id int, must text NOT NULL, later timestamptz NOT NULL DEFAULT now())`,
    );
    const sink = new PostgresSink({ connection: { url }, table: { schema, name: 't' } });
    const idOnly: StreamSchema = { name: 't', columns: [{ name: 'id', type: 'integer', nullable: true }] };
    await expect(sink.write(batchesOf([{ id: 1 }]), options(idOnly))).rejects.toMatchObject({
      errorClass: 'schema-drift',
      message: expect.stringContaining('column "must" is NOT NULL'),
    });
  });
});

describe('PostgresSink: values, checkpoints, writers, check', () => {
  const typed: StreamSchema = {
    name: 'typed',
    columns: [
      { name: 'id', type: 'integer', nullable: false },
      { name: 's', type: 'string', nullable: true },
      { name: 'big', type: 'bigint', nullable: true },
      { name: 'f', type: 'number', nullable: true },
      { name: 'd', type: 'decimal', nullable: true },
      { name: 'b', type: 'boolean', nullable: true },
      { name: 'day', type: 'date', nullable: true },
      { name: 'ts', type: 'timestamp', nullable: true },
      { name: 'tz', type: 'timestamptz', nullable: true },
      { name: 'j', type: 'json', nullable: true },
      { name: 'bin', type: 'binary', nullable: true },
    ],
  };
  const typedRows: Row[] = [
    {
      id: 1,
      s: 'a\tb\nc\\d\r\\N',
      big: '9007199254740993',
      f: 1.5,
      d: '123456789.123456789',
      b: true,
      day: new Date(Date.UTC(2024, 1, 29)),
      ts: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
      tz: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
      j: { k: ['v', 1, null], 'q"': 'x\ty' },
      bin: Uint8Array.from([0, 1, 92, 9, 10, 255]),
    },
    {
      id: 2,
      s: null,
      big: 5,
      f: -0.25,
      d: 2,
      b: false,
      day: '2024-03-01',
      ts: '2024-01-02T03:04:05.123456',
      tz: '2024-01-02T03:04:05.123456Z',
      j: '"a JSON string"',
      bin: null,
    },
    { id: 3, j: 'not json', s: undefined as unknown as null },
    { id: 4, j: 42 },
  ];
  const expected = [
    {
      id: 1,
      s: 'a\tb\nc\\d\r\\N',
      big: '9007199254740993',
      f: '1.5',
      d: '123456789.123456789',
      b: true,
      day: '2024-02-29',
      ts: '2024-01-02 03:04:05.678',
      tz: '2024-01-02 03:04:05.678+00',
      j: '{"k": ["v", 1, null], "q\\"": "x\\ty"}',
      bin: '\\x00015c090aff',
    },
    {
      id: 2,
      s: null,
      big: '5',
      f: '-0.25',
      d: '2',
      b: false,
      day: '2024-03-01',
      ts: '2024-01-02 03:04:05.123456',
      tz: '2024-01-02 03:04:05.123456+00',
      j: '"a JSON string"',
      bin: null,
    },
    { id: 3, s: null, big: null, f: null, d: null, b: null, day: null, ts: null, tz: null, j: '"not json"', bin: null },
    { id: 4, s: null, big: null, f: null, d: null, b: null, day: null, ts: null, tz: null, j: '42', bin: null },
  ];
  const asText = (schema: string) =>
    admin.query(
      `SET TIME ZONE 'UTC'; SELECT id, s, big::text, f::text, d::text, b, day::text, ts::text, tz::text, j::text, bin::text
         FROM ${quoteIdent(schema)}.typed ORDER BY id`,
    ) as unknown as Promise<Array<{ rows: Row[] }>>;

  it('writes strings, numbers, Dates, JSON and bytes as the target types expect (COPY)', async () => {
    const schema = newSchema();
    const sink = new PostgresSink({ connection: { url }, table: { schema, name: 'typed' } });
    await sink.write(batchesOf(typedRows, 3), options(typed));
    const [, result] = await asText(schema);
    expect(result.rows).toEqual(expected);
  });

  it('writes the same through multi-row INSERTs (the PGlite path) on a caller pool', async () => {
    const schema = newSchema();
    const pool = new Pool({ connectionString: url, max: 2 });
    try {
      const sink = new PostgresSink(
        { table: { schema, name: 'typed' } },
        { connectionFactory: pgPoolFactory(pool), stagingWriter: new InsertStagingWriter(2) },
      );
      const result = await sink.write(batchesOf(typedRows, 3), options(typed, { mode: 'merge', primaryKey: ['id'] }));
      expect(result.rowsWritten).toBe(4);
      expect(result.location).toBe('postgres://pool#' + schema + '.typed');
      const [, rows] = await asText(schema);
      expect(rows.rows).toEqual(expected);
    } finally {
      await pool.end();
    }
  });

  it('rejects values a column cannot hold as data-quality, leaving the target untouched', async () => {
    const schema = newSchema();
    const sink = new PostgresSink({ connection: { url }, table: { schema, name: 'people' } });
    await sink.write(batchesOf([{ id: 1, name: 'a' }]), options(people));
    await expect(sink.write(batchesOf([{ id: 'abc', name: 'b' }]), options(people))).rejects.toMatchObject({
      errorClass: 'data-quality',
    });
    await expect(sink.write(batchesOf([{ id: 2, name: new Date(NaN) }]), options(people))).rejects.toMatchObject({
      errorClass: 'data-quality',
      message: expect.stringContaining('column "name"'),
    });
    expect(await tableRows(schema, 'people')).toEqual([{ id: 1, name: 'a' }]);
  });

  it('commits the checkpoint with the data and reads it back', async () => {
    const schema = newSchema();
    const target = { connection: { url }, table: { schema, name: 'people' } };
    const sink = new PostgresSink(target);
    expect(await readTargetCheckpoint(target, 'p1', 'people')).toBeUndefined();
    const state = { column: 'id', value: 3, keysAtValue: ['3'] };
    await sink.write(batchesOf([{ id: 3, name: 'c' }]), {
      ...options(people),
      checkpoint: { pipelineId: 'p1', stream: 'people', state: () => state },
    });
    expect(await readTargetCheckpoint(target, 'p1', 'people')).toEqual(state);
    expect(await sink.readCheckpoint('p1', 'people')).toEqual(state);
    expect(await readTargetCheckpoint(target, 'p1', 'other')).toBeUndefined();
    // A ledger in its own schema.
    const ledgerSchema = newSchema();
    const separate = new PostgresSink(target, { ledgerSchema });
    await separate.write(batchesOf([{ id: 4, name: 'd' }]), {
      ...options(people),
      checkpoint: { pipelineId: 'p1', stream: 'people', state: () => ({ ...state, value: 4, keysAtValue: ['4'] }) },
    });
    expect(await readTargetCheckpoint(target, 'p1', 'people', { ledgerSchema })).toMatchObject({ value: 4 });
    await separate.close();
  });

  it('check() reports whether the user may create the table', async () => {
    const schema = newSchema();
    expect(await new PostgresSink({ connection: { url }, table: { schema, name: 't' } }).check()).toEqual({ ok: true });
    await admin.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    expect(await new PostgresSink({ connection: { url }, table: { schema, name: 't' } }).check()).toEqual({ ok: true });
    const role = uniqueName('aoe_ro');
    await admin.query(`CREATE ROLE ${quoteIdent(role)} LOGIN`);
    try {
      const asRole = { url: url.replace('postgres@', `${role}@`) };
      const denied = await new PostgresSink({ connection: asRole, table: { schema, name: 't' } }).check();
      expect(denied).toEqual({ ok: false, message: expect.stringContaining('may not create tables') });
      const deniedNew = await new PostgresSink({
        connection: asRole,
        table: { schema: `${schema}_x`, name: 't' },
      }).check();
      expect(deniedNew.ok).toBe(false);
      const unreachable = await new PostgresSink({
        connection: { host: '127.0.0.1', port: 1, user: 'postgres' },
        table: { name: 't' },
      }).check();
      expect(unreachable).toEqual({ ok: false, message: expect.stringContaining('127.0.0.1:1') });
    } finally {
      await admin.query(`DROP ROLE ${quoteIdent(role)}`);
    }
  });

  it('needs a connection or a factory', () => {
    expect(() => new PostgresSink({ table: { name: 't' } })).toThrow(ConnectorError);
  });

  it('returns the committed result type', async () => {
    const schema = newSchema();
    const sink = new PostgresSink({ kind: 'warehouse', connection: { url }, table: { schema, name: 'people' } });
    const result: PostgresWriteResult = await sink.write(batchesOf([{ id: 1, name: 'a' }]), options(people));
    expect(sink.kind).toBe('warehouse');
    expect(result.rowsWritten).toBe(1);
  });
});
