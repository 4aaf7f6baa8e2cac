import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { S3Sink, S3Source, type Batch, type CursorState } from '../src';
import { startTestS3, TEST_S3_ACCESS_KEY, type TestS3 } from '@aoe/testing';
import { asBatches, checksum, collect, typedRows, typedSchema, writeOptions } from './fixtures/support';

const BUCKET = 'aoe-test';
const credentials = { accessKeyId: { env: 'AOE_TEST_S3_KEY' }, secretAccessKey: { env: 'AOE_TEST_S3_SECRET' } };

let s3: TestS3;

beforeAll(async () => {
  s3 = await startTestS3([BUCKET]);
  process.env.AOE_TEST_S3_KEY = TEST_S3_ACCESS_KEY;
  process.env.AOE_TEST_S3_SECRET = TEST_S3_ACCESS_KEY;
});

afterAll(async () => {
  await s3.stop();
  delete process.env.AOE_TEST_S3_KEY;
  delete process.env.AOE_TEST_S3_SECRET;
});

async function keys(prefix: string): Promise<string[]> {
  const page = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

function source(prefix: string, extra: Partial<ConstructorParameters<typeof S3Source>[0]> = {}): S3Source {
  return new S3Source({
    kind: 's3',
    bucket: BUCKET,
    prefix,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials,
    ...extra,
  });
}

describe('S3Sink → S3Source round trips', () => {
  it.each(['csv', 'jsonl', 'parquet'] as const)(
    '%s: counts and checksums match; commit and re-run are clean',
    async (format) => {
      const prefix = `exports/${format}`;
      const sink = new S3Sink(
        { kind: 's3', bucket: BUCKET, prefix, format, endpoint: s3.endpoint, forcePathStyle: true, credentials },
        { maxRowsPerPart: 1000 },
      );
      expect(await sink.check()).toEqual({ ok: true });
      const rows = typedRows(2500);
      const result = await sink.write(asBatches(rows, 250), writeOptions('run-a', typedSchema));
      expect(result).toMatchObject({ rowsWritten: 2500, location: `s3://${BUCKET}/${prefix}/` });
      const parts = [0, 1, 2].map((n) => `${prefix}/part-run-a-0000${n}.${format}`);
      expect(await keys(`${prefix}/`)).toEqual(parts); // nothing left under _tmp/

      const back = await collect(source(`${prefix}/`), { batchSize: 400 });
      const columns = typedSchema.columns.map((c) => c.name);
      expect(back.rows).toHaveLength(2500);
      expect(checksum(back.rows, columns)).toBe(checksum(rows, columns));
      expect(back.positions[0]).toBe(`s3://${BUCKET}/${parts[0]}:${format === 'csv' ? 2 : 1}`);

      // The same run again replaces its own parts; a replace by another run removes them after its commit.
      await sink.write(asBatches(rows.slice(0, 1500), 250), writeOptions('run-a', typedSchema));
      expect(await keys(`${prefix}/`)).toEqual(parts.slice(0, 2));
      await sink.write(asBatches(rows.slice(0, 10), 250), writeOptions('run-b', typedSchema, 'replace'));
      expect(await keys(`${prefix}/`)).toEqual([`${prefix}/part-run-b-00000.${format}`]);
      expect((await collect(source(`${prefix}/`))).rows).toHaveLength(10);
    },
  );
});

describe('S3Sink failures', () => {
  it('a missing bucket fails with a message naming it', async () => {
    const sink = new S3Sink({
      kind: 's3',
      bucket: 'missing-bucket',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials,
    });
    await expect(sink.write(asBatches(typedRows(5), 5), writeOptions('run-x', typedSchema))).rejects.toMatchObject({
      name: 'ConnectorError',
      message: expect.stringContaining('s3://missing-bucket/'),
    });
  });

  it.each(['csv', 'parquet'] as const)(
    '%s: a source failing mid-load aborts the upload and leaves neither parts nor temporary objects',
    async (format) => {
      const prefix = `failing/${format}`;
      const sink = new S3Sink(
        { kind: 's3', bucket: BUCKET, prefix, format, endpoint: s3.endpoint, forcePathStyle: true, credentials },
        { maxRowsPerPart: 20 },
      );
      async function* dying(): AsyncGenerator<Batch> {
        yield* asBatches(typedRows(50), 10);
        throw new Error('source connection lost');
      }
      await expect(sink.write(dying(), writeOptions('run-x', typedSchema))).rejects.toThrow('source connection lost');
      expect(await keys(`${prefix}/`)).toEqual([]);
    },
  );

  it('refuses merge', async () => {
    const sink = new S3Sink({ kind: 's3', bucket: BUCKET, endpoint: s3.endpoint, forcePathStyle: true, credentials });
    await expect(sink.write(asBatches([], 1), writeOptions('r', typedSchema, 'merge'))).rejects.toMatchObject({
      errorClass: 'bug',
    });
  });
});

describe('S3Source', () => {
  it('reads gzip objects matched by a glob, with the endpoint from AWS_ENDPOINT_URL_S3', async () => {
    await s3.put(BUCKET, 'raw/2024/01/a.csv.gz', gzipSync('id;name\n1;"x\ny"\n2;z\n'));
    await s3.put(BUCKET, 'raw/2024/02/b.csv.gz', gzipSync('id;name\n3;w\n'));
    await s3.put(BUCKET, 'raw/2024/02/c.jsonl', '{"id":9}\n');
    await s3.put(BUCKET, 'raw/_tmp/r/part.csv.gz', gzipSync('id;name\n99;tmp\n'));
    process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
    try {
      const src = new S3Source({
        kind: 's3',
        bucket: BUCKET,
        prefix: 'raw/',
        glob: '**/*.csv.gz',
        forcePathStyle: true,
        credentials,
      });
      expect(await src.check()).toEqual({ ok: true });
      const out = await collect(src);
      expect(out.rows).toEqual([
        { id: '1', name: 'x\ny' },
        { id: '2', name: 'z' },
        { id: '3', name: 'w' },
      ]);
      expect(out.positions).toEqual([
        `s3://${BUCKET}/raw/2024/01/a.csv.gz:2`,
        `s3://${BUCKET}/raw/2024/01/a.csv.gz:4`,
        `s3://${BUCKET}/raw/2024/02/b.csv.gz:2`,
      ]);
      const [schema] = await src.discover();
      expect(schema.columns.map((c) => [c.name, c.type])).toEqual([
        ['id', 'integer'],
        ['name', 'string'],
      ]);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_S3;
    }
  });

  it('reads incrementally by new objects, including one sharing the last-modified second', async () => {
    const t1 = new Date('2024-06-01T08:00:00Z');
    const t2 = new Date('2024-06-01T09:00:00Z');
    const put = async (key: string, body: string, at: Date): Promise<void> => {
      await s3.put(BUCKET, key, body);
      await s3.setLastModified(BUCKET, key, at);
    };
    await put('inc/a.jsonl', '{"id":1}\n{"id":2}\n', t1);
    await put('inc/b.jsonl', '{"id":3}\n', t2);

    const src = source('inc/');
    const first = await collect(src);
    expect(first.rows.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(first.cursor).toEqual<CursorState>({
      column: '_last_modified',
      value: t2.toISOString(),
      keysAtValue: [],
      objects: [{ key: 'inc/b.jsonl', lastModified: t2.toISOString() }],
    });

    await put('inc/c.jsonl', '{"id":4}\n', t2); // the same second as b.jsonl, not loaded yet
    await put('inc/d.jsonl', '{"id":5}\n{"id":6}\n', new Date('2024-06-01T10:00:00Z'));
    const second = await collect(src, { cursor: first.cursor, batchSize: 1 });
    expect(second.rows.map((r) => r.id)).toEqual([4, 5, 6]);
    // Batches do not span objects; the one ending an object carries the cursor including it.
    expect(second.batches.map((b) => [b.rows.map((r) => r.id), b.cursor?.objects?.map((o) => o.key)])).toEqual([
      [[4], ['inc/b.jsonl', 'inc/c.jsonl']],
      [[5], undefined],
      [[6], ['inc/d.jsonl']],
    ]);
    expect(second.cursor?.value).toBe('2024-06-01T10:00:00.000Z');

    const third = await collect(src, { cursor: second.cursor });
    expect(third.rows).toEqual([]);
  });

  it('says clearly when nothing matches, when a bucket is missing, and classifies bad credentials as auth', async () => {
    expect(await source('nothing-here/').check()).toEqual({
      ok: false,
      message: `no object under s3://${BUCKET}/nothing-here/`,
    });
    const missing = new S3Sink({
      kind: 's3',
      bucket: 'no-such-bucket',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials,
    });
    expect(await missing.check()).toEqual({ ok: false, message: 'bucket no-such-bucket does not exist' });

    // s3rver checks the access key id (its V4 signature check is partial), like S3's InvalidAccessKeyId.
    process.env.AOE_TEST_S3_WRONG = 'wrong-secret';
    try {
      const wrong = source('inc/', {
        credentials: { accessKeyId: { env: 'AOE_TEST_S3_WRONG' }, secretAccessKey: { env: 'AOE_TEST_S3_WRONG' } },
      });
      await expect(collect(wrong)).rejects.toMatchObject({ name: 'ConnectorError', errorClass: 'auth' });
      await expect(collect(wrong)).rejects.not.toThrow(/wrong-secret/);
    } finally {
      delete process.env.AOE_TEST_S3_WRONG;
    }
  });
});
