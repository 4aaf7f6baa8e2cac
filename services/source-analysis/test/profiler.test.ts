import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SourceSpec, type ColumnProfile, type SourceProfile } from '@aoe/contracts';
import { DirectorySink, S3Sink, type Batch, type Row } from '@aoe/connectors';
import { testDatabaseUrl, uniqueName } from '@aoe/testing';
import { SourceProfiler } from '../src';
import { peopleCsv, sql, withTempDir } from './fixtures/data';
import { startTestS3, TEST_S3_ACCESS_KEY, type TestS3 } from '@aoe/testing';

const column = (profile: SourceProfile, name: string): ColumnProfile => {
  const found = profile.columns.find((c) => c.name === name);
  if (!found) throw new Error(`no column ${name} in ${profile.columns.map((c) => c.name).join(', ')}`);
  return found;
};
const kinds = (c: ColumnProfile) => c.piiHints.map((h) => h.kind);

async function* batches(rows: Row[], size = 500): AsyncGenerator<Batch> {
  for (let i = 0; i < rows.length; i += size) {
    const slice = rows.slice(i, i + size);
    yield { rows: slice, positions: slice.map((_, j) => `gen:${i + j}`), rejected: [], bytes: 0 };
  }
}

describe('SourceProfiler: PostgreSQL', () => {
  let url: string;
  const schema = uniqueName('sa_prof');
  const profiler = new SourceProfiler();

  beforeAll(async () => {
    url = await testDatabaseUrl();
    await sql(
      url,
      `CREATE SCHEMA "${schema}"`,
      `CREATE TABLE "${schema}".orders (
         id bigint PRIMARY KEY, order_no text NOT NULL UNIQUE, customer_email text, amount numeric(10,2),
         status text NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, notes text)`,
      `INSERT INTO "${schema}".orders
         SELECT g, 'ORD-' || g, 'customer' || (g % 700) || '@shop.example', (g % 1000) / 10.0,
                (ARRAY['new','paid','shipped'])[1 + g % 3],
                timestamptz '2024-01-01' + g * interval '1 minute',
                timestamptz '2024-01-01' + g * interval '1 minute' + (g % 5) * interval '1 hour',
                CASE WHEN g % 4 = 0 THEN NULL ELSE 'n' || g END
           FROM generate_series(1, 5000) AS g`,
      `CREATE TABLE "${schema}".events (id bigint PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL)`,
      `INSERT INTO "${schema}".events SELECT g, 'k' || (g % 10), timestamptz '2024-01-01' + g * interval '1 second'
         FROM generate_series(1, 200000) AS g`,
      `ANALYZE "${schema}".events`,
    );
  });
  afterAll(() => sql(url, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`));

  it('profiles a table with a primary key and a timestamp cursor from pg_catalog and a sample', async () => {
    const spec = SourceSpec.parse({ kind: 'postgres', connection: { url }, table: { schema, name: 'orders' } });
    const { profile, sampling, rowCountFrom } = await profiler.profile({ sourceId: 'pg-orders', spec });

    expect(profile).toMatchObject({ kind: 'postgres', format: 'table', primaryKeyConfirmed: true, sampleSize: 5000 });
    // A table smaller than the sample is read whole (LIMIT n), so its count is exact.
    expect(profile.rowCountEstimate).toBe(5000);
    expect(rowCountFrom).toBe('the whole source was read');
    expect(sampling.stoppedBy).toBe('end');
    expect(profile.primaryKeyCandidates[0]).toEqual(['id']);
    // The unique index over a NOT NULL column is a candidate too.
    expect(profile.primaryKeyCandidates).toContainEqual(['order_no']);
    expect(profile.cursorCandidates.slice(0, 2)).toEqual(['updated_at', 'created_at']);
    expect(profile.sizeBytes).toBeGreaterThan(5000 * 50);

    expect(column(profile, 'id')).toMatchObject({
      type: 'bigint',
      declaredType: 'bigint',
      nullable: false,
      min: 1,
      max: 5000,
      distinctEstimate: 5000,
    });
    expect(column(profile, 'amount')).toMatchObject({
      type: 'decimal',
      declaredType: 'numeric(10,2)',
      nullable: true,
      nullRate: 0,
    });
    expect(column(profile, 'status')).toMatchObject({
      type: 'string',
      distinctEstimate: 3,
      min: 'new',
      max: 'shipped',
    });
    expect(column(profile, 'notes').nullRate).toBe(0.25);
    expect(column(profile, 'created_at')).toMatchObject({ type: 'timestamptz', min: '2024-01-01T00:01:00.000Z' });
    const email = column(profile, 'customer_email');
    expect(email.piiHints[0]).toMatchObject({ kind: 'email', evidence: 'name-and-values', confidence: 1 });
    // Bounds of personal columns are kept out of the profile.
    expect(email.min).toBeUndefined();
    expect(profile.growth?.rowsPerDay).toBeGreaterThan(1400);
  });

  it('samples a large table with TABLESAMPLE within the bound and takes the count from pg_class.reltuples', async () => {
    const spec = SourceSpec.parse({ kind: 'postgres', connection: { url }, table: { schema, name: 'events' } });
    const { profile, sampling, rowCountFrom } = await profiler.profile({
      sourceId: 'pg-events',
      spec,
      limits: { maxRows: 2000 },
    });

    expect(sampling.spread).toBe(true);
    expect(sampling.rowsRead).toBeLessThanOrEqual(2000);
    expect(sampling.rowsRead).toBeGreaterThan(500);
    expect(rowCountFrom).toBe('pg_class.reltuples');
    expect(profile.rowCountEstimate).toBeGreaterThan(190_000);
    expect(profile.rowCountEstimate).toBeLessThan(210_000);
    // Distinct counts come from pg_stats when the table has been analysed.
    expect(column(profile, 'id').distinctEstimate).toBeGreaterThan(190_000);
    expect(column(profile, 'kind').distinctEstimate).toBe(10);
    expect(profile.primaryKeyCandidates[0]).toEqual(['id']);
    // Pages come back in physical order, so the append-only columns still rise in read order.
    expect(profile.cursorCandidates).toEqual(['at', 'id']);
  });

  it('profiles a query source with LIMIT and the planner estimate', async () => {
    const spec = SourceSpec.parse({
      kind: 'postgres',
      connection: { url },
      query: `SELECT id, kind FROM "${schema}".events WHERE id <= 150000;`,
    });
    const { profile, sampling, rowCountFrom } = await profiler.profile({
      sourceId: 'pg-query',
      spec,
      limits: { maxRows: 1000 },
    });
    expect(profile.format).toBe('query');
    expect(sampling.rowsRead).toBe(1000);
    expect(rowCountFrom).toBe('the query plan (EXPLAIN)');
    expect(profile.rowCountEstimate).toBeGreaterThan(100_000);
    expect(profile.primaryKeyConfirmed).toBe(false);
    expect(profile.primaryKeyCandidates[0]).toEqual(['id']);
  });

  it('reports a missing table as schema-drift and a wrong role as auth', async () => {
    const missing = SourceSpec.parse({ kind: 'postgres', connection: { url }, table: { schema, name: 'nope' } });
    await expect(profiler.profile({ sourceId: 'x', spec: missing })).rejects.toMatchObject({
      errorClass: 'schema-drift',
    });
    const role = new URL(url);
    role.username = 'no_such_role_aoe';
    const wrongUser = SourceSpec.parse({
      kind: 'postgres',
      connection: { url: role.toString() },
      table: { schema, name: 'orders' },
    });
    await expect(profiler.profile({ sourceId: 'x', spec: wrongUser })).rejects.toMatchObject({ errorClass: 'auth' });
  });
});

describe('SourceProfiler: files', () => {
  const profiler = new SourceProfiler();

  it('profiles a `;` CSV with PII columns: delimiter, encoding, types, keys and hints', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'people.csv'), peopleCsv(400));
      const spec = SourceSpec.parse({ kind: 'file', path: join(dir, 'people.csv') });
      const { profile } = await profiler.profile({ sourceId: 'people', spec });

      expect(profile).toMatchObject({
        kind: 'file',
        format: 'csv',
        delimiter: ';',
        encoding: 'utf-8',
        compression: 'none',
        rowCountEstimate: 400,
      });
      expect(column(profile, 'id')).toMatchObject({ type: 'integer', min: 1, max: 400, nullable: false });
      expect(column(profile, 'signup_date').type).toBe('date');
      expect(column(profile, 'note')).toMatchObject({ nullRate: 0.1, nullable: true });
      expect(kinds(column(profile, 'email'))).toEqual(['email']);
      expect(column(profile, 'email').piiHints[0].evidence).toBe('name-and-values');
      expect(kinds(column(profile, 'phone'))).toEqual(['phone']);
      expect(column(profile, 'card').piiHints[0]).toMatchObject({ kind: 'card-number', evidence: 'name-and-values' });
      expect(column(profile, 'client_ip').piiHints[0]).toMatchObject({
        kind: 'ip-address',
        evidence: 'name-and-values',
      });
      expect(column(profile, 'full_name').piiHints).toEqual([
        { kind: 'person-name', evidence: 'name', confidence: 0.7 },
      ]);
      // Random 16-digit numbers: about one in ten passes Luhn, which is not a card column.
      expect(column(profile, 'reference')).toMatchObject({ type: 'bigint', piiHints: [] });
      expect(column(profile, 'note').piiHints).toEqual([]);
      expect(profile.primaryKeyCandidates[0]).toEqual(['id']);
      expect(profile.primaryKeyConfirmed).toBe(false);
      expect(profile.cursorCandidates).toEqual(['id']);
    });
  });

  it('detects Latin-1 and gzip, and estimates rows from the size when it stops early', async () => {
    await withTempDir(async (dir) => {
      const text = `id,city\n${Array.from({ length: 3000 }, (_, i) => `${i + 1},Zürich Ærø ${i}`).join('\n')}\n`;
      await writeFile(join(dir, 'cities.csv'), Buffer.from(text, 'latin1'));
      await writeFile(join(dir, 'cities.csv.gz'), gzipSync(text));
      const plain = await profiler.profile({
        sourceId: 'c',
        spec: SourceSpec.parse({ kind: 'file', path: join(dir, 'cities.csv') }),
      });
      expect(plain.profile).toMatchObject({ encoding: 'latin1', delimiter: ',', compression: 'none' });
      expect(plain.profile.columns.map((c) => c.name)).toEqual(['id', 'city']);
      expect(column(plain.profile, 'city').min).toBe('Zürich Ærø 0');

      const zipped = await profiler.profile({
        sourceId: 'c',
        spec: SourceSpec.parse({ kind: 'file', path: join(dir, 'cities.csv.gz') }),
        limits: { maxRows: 1000 },
      });
      expect(zipped.profile).toMatchObject({ compression: 'gzip', encoding: 'utf-8', sampleSize: 1000 });
      expect(zipped.rowCountFrom).toBe('size ÷ bytes per sampled row');
      expect(zipped.profile.rowCountEstimate).toBeGreaterThan(2400);
      expect(zipped.profile.rowCountEstimate).toBeLessThan(3600);
    });
  });

  it('profiles a JSONL file with nested values, a time cursor and growth', async () => {
    await withTempDir(async (dir) => {
      const lines = Array.from({ length: 1500 }, (_, i) =>
        JSON.stringify({
          event_id: `e-${i}`,
          occurred_at: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
          user: { email: `u${i % 50}@example.org`, plan: i % 2 ? 'pro' : 'free' },
          tags: ['a', String(i % 3)],
          score: i % 7 === 0 ? null : i / 2,
        }),
      );
      await writeFile(join(dir, 'events.jsonl'), `${lines.join('\n')}\n`);
      const { profile } = await profiler.profile({
        sourceId: 'ev',
        spec: SourceSpec.parse({ kind: 'file', path: join(dir, 'events.jsonl') }),
      });
      expect(profile).toMatchObject({
        format: 'jsonl',
        encoding: 'utf-8',
        compression: 'none',
        rowCountEstimate: 1500,
      });
      expect(profile.columns.map((c) => [c.name, c.type])).toEqual([
        ['event_id', 'string'],
        ['occurred_at', 'timestamptz'],
        ['user', 'json'],
        ['tags', 'json'],
        ['score', 'number'],
      ]);
      expect(column(profile, 'score').nullRate).toBeCloseTo(215 / 1500, 3);
      expect(profile.cursorCandidates[0]).toBe('occurred_at');
      expect(profile.primaryKeyCandidates[0]).toEqual(['event_id']);
      expect(profile.growth).toEqual({ rowsPerDay: expect.closeTo(1441, 0), since: '2024-01-01T00:00:00.000Z' });
    });
  });

  it('takes Parquet columns and the exact row count from the footers', async () => {
    await withTempDir(async (dir) => {
      const rows: Row[] = Array.from({ length: 2500 }, (_, i) => ({
        id: i,
        price: `${i}.50`,
        at: new Date(Date.UTC(2024, 0, 1, 0, i)),
      }));
      const sink = new DirectorySink(
        { kind: 'directory', path: join(dir, 'pq'), format: 'parquet' },
        { maxRowsPerPart: 1000 },
      );
      const schema = {
        name: 't',
        columns: [
          { name: 'id', type: 'integer' as const, nullable: false },
          { name: 'price', type: 'decimal' as const, nullable: true },
          { name: 'at', type: 'timestamptz' as const, nullable: false },
        ],
      };
      await sink.write(batches(rows), {
        runId: 'r1',
        taskId: 'load',
        mode: 'append',
        schema,
        schemaEvolution: 'additive',
      });
      const { profile, rowCountFrom } = await profiler.profile({
        sourceId: 'pq',
        spec: SourceSpec.parse({ kind: 'file', path: join(dir, 'pq') }),
        limits: { maxRows: 500 },
      });
      expect(profile).toMatchObject({
        format: 'parquet',
        compression: 'none',
        rowCountEstimate: 2500,
        sampleSize: 500,
      });
      expect(rowCountFrom).toBe('Parquet footers');
      expect(profile.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
        ['id', 'integer', false],
        ['price', 'decimal', true],
        ['at', 'timestamptz', false],
      ]);
    });
  });

  it('profiles an empty CSV: its header columns, no rows', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'empty.csv'), 'id;name\n');
      const { profile } = await profiler.profile({
        sourceId: 'empty',
        spec: SourceSpec.parse({ kind: 'file', path: join(dir, 'empty.csv') }),
      });
      expect(profile).toMatchObject({
        rowCountEstimate: 0,
        sampleSize: 0,
        primaryKeyCandidates: [],
        cursorCandidates: [],
      });
      expect(profile.columns).toEqual([
        { name: 'id', type: 'string', nullable: true, nullRate: 0, distinctEstimate: 0, piiHints: [] },
        {
          name: 'name',
          type: 'string',
          nullable: true,
          nullRate: 0,
          distinctEstimate: 0,
          piiHints: [{ kind: 'person-name', evidence: 'name', confidence: 0.4 }],
        },
      ]);
    });
  });

  it('reports a path that matches nothing as schema-drift', async () => {
    await expect(
      profiler.profile({ sourceId: 'x', spec: SourceSpec.parse({ kind: 'file', path: '/nonexistent/aoe/*.csv' }) }),
    ).rejects.toMatchObject({ errorClass: 'schema-drift' });
  });
});

describe('SourceProfiler: HTTP API', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];
  const TOTAL = 250;

  beforeAll(async () => {
    process.env.AOE_SA_TEST_TOKEN = 'sekret-token-123';
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.headers.authorization !== 'Bearer sekret-token-123') {
        res.writeHead(401).end('{"error":"unauthorized"}');
        return;
      }
      if (url.pathname !== '/v1/customers') {
        res.writeHead(404).end('{"error":"not found"}');
        return;
      }
      const page = Number(url.searchParams.get('page') ?? 1);
      const size = Number(url.searchParams.get('per_page') ?? 50);
      const start = (page - 1) * size;
      const data = Array.from({ length: Math.max(0, Math.min(size, TOTAL - start)) }, (_, i) => {
        const n = start + i + 1;
        return {
          id: n,
          name: { first: `Ann${n}`, last: 'Lee' },
          contact: { email: `ann${n}@mail.example`, phone: `(555) 010-${String(n).padStart(4, '0')}` },
          updated_at: new Date(Date.UTC(2024, 4, 1) + n * 1000).toISOString(),
        };
      });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ data, meta: { page, per_page: size, total: TOTAL } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    delete process.env.AOE_SA_TEST_TOKEN;
    await new Promise((resolve) => server.close(resolve));
  });

  const spec = (path = '/v1/customers') =>
    SourceSpec.parse({
      kind: 'http-api',
      url: `${base}${path}`,
      auth: { type: 'bearer', token: { env: 'AOE_SA_TEST_TOKEN' } },
      recordsPath: 'data',
      nested: 'flatten',
      pagination: { type: 'page', pageParam: 'page', sizeParam: 'per_page', pageSize: 50 },
      maxRetries: 0,
    });

  it('profiles a paged nested API within the row bound and takes the total from meta.total', async () => {
    requests.length = 0;
    const profiler = new SourceProfiler();
    const { profile, sampling, rowCountFrom } = await profiler.profile({
      sourceId: 'api',
      spec: spec(),
      limits: { maxRows: 120, batchSize: 50 },
    });
    expect(profile).toMatchObject({
      kind: 'http-api',
      format: 'json',
      encoding: 'utf-8',
      rowCountEstimate: TOTAL,
      sampleSize: 120,
    });
    expect(rowCountFrom).toBe(`the API's "meta.total" field`);
    expect(sampling.stoppedBy).toBe('rows');
    // The first page for the total hint, then the sample's three pages: never all five.
    expect(requests.length).toBeLessThanOrEqual(4);
    expect(profile.columns.map((c) => c.name)).toEqual([
      'id',
      'name_first',
      'name_last',
      'contact_email',
      'contact_phone',
      'updated_at',
    ]);
    expect(kinds(column(profile, 'contact_email'))).toEqual(['email']);
    expect(kinds(column(profile, 'contact_phone'))).toEqual(['phone']);
    expect(column(profile, 'name_first').piiHints[0]).toMatchObject({ kind: 'person-name', evidence: 'name' });
    expect(profile.cursorCandidates[0]).toBe('updated_at');
    expect(profile.primaryKeyCandidates[0]).toEqual(['id']);
    expect(profile.sizeBytes).toBeGreaterThan(0);
  });

  it('classifies a 404 as schema-drift and a refused token as auth', async () => {
    const profiler = new SourceProfiler();
    await expect(profiler.profile({ sourceId: 'api', spec: spec('/v1/missing') })).rejects.toMatchObject({
      errorClass: 'schema-drift',
    });
    process.env.AOE_SA_TEST_TOKEN = 'wrong';
    try {
      await expect(profiler.profile({ sourceId: 'api', spec: spec() })).rejects.toMatchObject({ errorClass: 'auth' });
    } finally {
      process.env.AOE_SA_TEST_TOKEN = 'sekret-token-123';
    }
  });
});

describe('SourceProfiler: S3', () => {
  const BUCKET = 'aoe-sa-profile';
  let s3: TestS3;
  const credentials = { accessKeyId: { env: 'AOE_SA_S3_KEY' }, secretAccessKey: { env: 'AOE_SA_S3_SECRET' } };

  beforeAll(async () => {
    s3 = await startTestS3([BUCKET]);
    process.env.AOE_SA_S3_KEY = TEST_S3_ACCESS_KEY;
    process.env.AOE_SA_S3_SECRET = TEST_S3_ACCESS_KEY;
  });
  afterAll(async () => {
    await s3.stop();
    delete process.env.AOE_SA_S3_KEY;
    delete process.env.AOE_SA_S3_SECRET;
  });

  const spec = (prefix: string, extra: Record<string, unknown> = {}) =>
    SourceSpec.parse({
      kind: 's3',
      bucket: BUCKET,
      prefix,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials,
      ...extra,
    });

  it('profiles gzip CSV objects under a prefix: sizes from the listing, format from the first object', async () => {
    const sizes: number[] = [];
    for (const day of [1, 2, 3]) {
      const body = gzipSync(
        `order_id|customer_email|total|created_at\n${Array.from({ length: 800 }, (_, i) => {
          const n = day * 1000 + i;
          return `${n}|c${n}@example.net|${(n % 97) + 0.5}|2024-03-0${day}T${String(Math.floor(i / 60) % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z`;
        }).join('\n')}\n`,
      );
      sizes.push(body.length);
      await s3.put(BUCKET, `orders/2024-03-0${day}.csv.gz`, body);
    }
    await s3.put(BUCKET, 'orders/_tmp/r/part.csv.gz', gzipSync('order_id\n1\n'));
    const { profile, sampling } = await new SourceProfiler().profile({
      sourceId: 's3',
      spec: spec('orders/'),
      limits: { maxRows: 1000 },
    });
    expect(profile).toMatchObject({
      kind: 's3',
      format: 'csv',
      compression: 'gzip',
      delimiter: '|',
      encoding: 'utf-8',
      sampleSize: 1000,
    });
    expect(profile.sizeBytes).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(sampling.stoppedBy).toBe('rows');
    expect(profile.rowCountEstimate).toBeGreaterThan(1800);
    expect(profile.rowCountEstimate).toBeLessThan(3000);
    expect(kinds(column(profile, 'customer_email'))).toEqual(['email']);
    expect(profile.primaryKeyCandidates[0]).toEqual(['order_id']);
    expect(profile.cursorCandidates[0]).toBe('created_at');
  });

  it("estimates the rows of large plain objects from the sample and the last object's tail", async () => {
    // Rows grow longer towards the end: the first rows alone would overestimate the count.
    const lines = Array.from({ length: 12_000 }, (_, i) => `${i},${'x'.repeat(10 + Math.floor(i / 200))}`);
    await s3.put(BUCKET, 'plain/a.csv', `id,text\n${lines.slice(0, 6000).join('\n')}\n`);
    await s3.put(BUCKET, 'plain/b.csv', `id,text\n${lines.slice(6000).join('\n')}\n`);
    const { profile, rowCountFrom } = await new SourceProfiler().profile({
      sourceId: 'plain',
      spec: spec('plain/'),
      limits: { maxRows: 1000 },
    });
    expect(rowCountFrom).toBe('size ÷ bytes per sampled row');
    expect(profile.rowCountEstimate).toBeGreaterThan(12_000 * 0.8);
    expect(profile.rowCountEstimate).toBeLessThan(12_000 * 1.2);
  });

  it('reads Parquet footers on S3 for the exact count and the declared schema', async () => {
    const sink = new S3Sink(
      {
        kind: 's3',
        bucket: BUCKET,
        prefix: 'pq',
        format: 'parquet',
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials,
      },
      { maxRowsPerPart: 700 },
    );
    const rows: Row[] = Array.from({ length: 2000 }, (_, i) => ({ id: i + 1, label: `l${i % 20}` }));
    const schema = {
      name: 't',
      columns: [
        { name: 'id', type: 'bigint' as const, nullable: false },
        { name: 'label', type: 'string' as const, nullable: true },
      ],
    };
    await sink.write(batches(rows), {
      runId: 'r1',
      taskId: 'load',
      mode: 'append',
      schema,
      schemaEvolution: 'additive',
    });
    const { profile, rowCountFrom } = await new SourceProfiler().profile({
      sourceId: 'pq',
      spec: spec('pq/'),
      limits: { maxRows: 300 },
    });
    expect(profile).toMatchObject({ format: 'parquet', rowCountEstimate: 2000, sampleSize: 300 });
    expect(rowCountFrom).toBe('Parquet footers');
    expect(profile.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'bigint'],
      ['label', 'string'],
    ]);
  });

  it('reports a prefix with no objects as schema-drift', async () => {
    await expect(new SourceProfiler().profile({ sourceId: 'x', spec: spec('nothing-here/') })).rejects.toMatchObject({
      errorClass: 'schema-drift',
    });
  });
});
