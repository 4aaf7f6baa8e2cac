import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ParquetSchema, ParquetWriter } from '@dsnp/parquetjs';
import { DirectorySink, FileSource } from '../src';
import { asBatches, checksum, collect, typedRows, typedSchema, withTempDir, writeOptions } from './fixtures/support';

const FIXTURES = join(__dirname, 'fixtures');

/** Line 1 header (BOM, `;`, CRLF); a record spanning lines 2–3; ragged records on lines 5 and 7. */
const EDGE_CSV =
  '\uFEFF"select";"na""me";"a b;c";"ünï"\r\n' +
  '1;"multi\r\nline";;"日本語"\r\n' +
  '2;"";NULL;"x"\r\n' +
  '3;only-two\r\n' +
  '4;"a;b";"q""q";\r\n' +
  '5;x;y;z;extra\r\n' +
  '6;"emoji 😀";" ";z\r\n';

describe('FileSource: CSV', () => {
  it('handles BOM, CRLF, a sniffed `;`, quoted newlines, unicode, NULL vs empty, ragged rows and odd column names', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'edge.csv'), EDGE_CSV);
      const source = new FileSource({ kind: 'file', path: join(dir, 'edge.csv'), csv: { nullValues: ['NULL'] } });
      const out = await collect(source, { batchSize: 2 });

      expect(out.rows).toEqual([
        { select: '1', 'na"me': 'multi\r\nline', 'a b;c': null, ünï: '日本語' },
        { select: '2', 'na"me': '', 'a b;c': null, ünï: 'x' },
        { select: '4', 'na"me': 'a;b', 'a b;c': 'q"q', ünï: null },
        { select: '6', 'na"me': 'emoji 😀', 'a b;c': ' ', ünï: 'z' },
      ]);
      expect(out.positions).toEqual(['edge.csv:2', 'edge.csv:4', 'edge.csv:6', 'edge.csv:8']);
      expect(out.rejected).toEqual([
        { position: 'edge.csv:5', reason: 'expected 4 fields, found 2', raw: '3;only-two' },
        { position: 'edge.csv:7', reason: 'expected 4 fields, found 5', raw: '5;x;y;z;extra' },
      ]);
      expect(out.bytes).toBe(Buffer.byteLength(EDGE_CSV));
      // Batches of two count rejections too, so a file of bad lines still moves in bounded batches.
      expect(out.batches.every((b) => b.rows.length + b.rejected.length <= 2)).toBe(true);
    });
  });

  it('keeps the null / empty-string distinction: quoted "" is text, an unquoted empty cell is null', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'n.csv'), 'a,b,c\n,"",x\n');
      const out = await collect(new FileSource({ kind: 'file', path: join(dir, 'n.csv') }));
      expect(out.rows).toEqual([{ a: null, b: '', c: 'x' }]);
    });
  });

  it('discovers exact column names and infers types from a sample', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, 'typed.csv'),
        'id\tbig\tamount\tok\tday\tat\tzip\t"order by"\n' +
          '1\t9007199254740993\t1.5\ttrue\t2024-01-31\t2024-01-31T10:00:00Z\t00123\tx\n' +
          '2\t\t2\tfalse\t2024-02-29\t2024-02-29 11:00:00+02:00\t00456\t\n',
      );
      const [schema] = await new FileSource({ kind: 'file', path: join(dir, 'typed.csv') }).discover();
      expect(schema.columns.map((c) => [c.name, c.type])).toEqual([
        ['id', 'integer'],
        ['big', 'bigint'],
        ['amount', 'number'],
        ['ok', 'boolean'],
        ['day', 'date'],
        ['at', 'timestamptz'],
        ['zip', 'string'],
        ['order by', 'string'],
      ]);
    });
  });

  it('reads without a header, with an explicit delimiter and latin1 text', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'l1.txt'), Buffer.from('1|caf\xe9\n2|na\xefve\n', 'latin1'));
      const source = new FileSource({
        kind: 'file',
        path: join(dir, 'l1.txt'),
        format: 'csv',
        csv: { header: false, delimiter: '|', encoding: 'latin1' },
      });
      const out = await collect(source);
      expect(out.rows).toEqual([
        { column_1: '1', column_2: 'café' },
        { column_1: '2', column_2: 'naïve' },
      ]);
      expect(out.positions).toEqual(['l1.txt:1', 'l1.txt:2']);
    });
  });

  it('reads UTF-16LE with its BOM', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, 'u16.csv'),
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\r\nü,ß\r\n', 'utf16le')]),
      );
      const out = await collect(
        new FileSource({ kind: 'file', path: join(dir, 'u16.csv'), csv: { encoding: 'utf-16le' } }),
      );
      expect(out.rows).toEqual([{ a: 'ü', b: 'ß' }]);
    });
  });

  it('fails a file with an unclosed quote as data-quality, naming the file', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'bad.csv'), 'a,b\n1,"never closed\n2,3\n');
      await expect(collect(new FileSource({ kind: 'file', path: join(dir, 'bad.csv') }))).rejects.toMatchObject({
        name: 'ConnectorError',
        errorClass: 'data-quality',
        message: expect.stringContaining('bad.csv'),
      });
    });
  });
});

describe('FileSource: JSON Lines', () => {
  it('rejects a bad line with its line number and keeps nested values', async () => {
    const source = new FileSource({ kind: 'file', path: join(FIXTURES, 'events.jsonl') });
    const out = await collect(source);
    expect(out.rows).toEqual([
      { id: 1, kind: 'click', meta: { x: 1, tags: ['a'] } },
      { id: 2, kind: 'view', meta: null },
      { id: 3, kind: 'ünïcode 😀', meta: { x: 3 } },
    ]);
    expect(out.positions).toEqual(['events.jsonl:1', 'events.jsonl:2', 'events.jsonl:6']);
    expect(out.rejected.map((r) => [r.position, r.raw])).toEqual([
      ['events.jsonl:3', '{"id": 99, "kind": broken'],
      ['events.jsonl:5', '[1, 2, 3]'],
    ]);
    expect(out.rejected[0].reason).toMatch(/^invalid JSON/);
    const [schema] = await source.discover();
    expect(schema.columns).toEqual([
      { name: 'id', type: 'integer', nullable: true },
      { name: 'kind', type: 'string', nullable: true },
      { name: 'meta', type: 'json', nullable: true },
    ]);
  });
});

describe('FileSource: globs, directories and gzip', () => {
  it('reads a glob of many files in path order, positions naming each file', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'in', 'sub'), { recursive: true });
      let expected = 0;
      for (let f = 0; f < 25; f++) {
        const lines = ['id,file'];
        for (let i = 0; i < f + 1; i++) lines.push(`${i},${f}`);
        expected += f + 1;
        await writeFile(join(dir, 'in', `orders-${String(f).padStart(2, '0')}.csv`), `${lines.join('\n')}\n`);
      }
      await writeFile(join(dir, 'in', 'sub', 'deep.csv'), 'id,file\n1,deep\n');
      await writeFile(join(dir, 'in', 'notes.txt'), 'not matched');

      const out = await collect(new FileSource({ kind: 'file', path: 'in/*.csv' }, { cwd: dir }), { batchSize: 7 });
      expect(out.rows).toHaveLength(expected);
      expect(out.batches.slice(0, -1).every((b) => b.rows.length === 7)).toBe(true);
      expect(out.positions[0]).toBe('orders-00.csv:2');
      expect(out.positions.at(-1)).toBe('orders-24.csv:26');
      const fileOrder = [...new Set(out.rows.map((r) => r.file))];
      expect(fileOrder).toEqual(Array.from({ length: 25 }, (_, f) => String(f)));

      const deep = await collect(new FileSource({ kind: 'file', path: join(dir, 'in', '**', '*.csv') }));
      expect(deep.rows).toHaveLength(expected + 1);
      expect(deep.positions).toContain('sub/deep.csv:2');
    });
  });

  it('gunzips by extension and by magic bytes', async () => {
    await withTempDir(async (dir) => {
      const csv = 'id,name\n1,a\n2,"b\nc"\n';
      await writeFile(join(dir, 'a.csv.gz'), gzipSync(csv));
      await writeFile(join(dir, 'b.data'), gzipSync('{"id":1}\n{"id":2}\n'));
      const a = await collect(new FileSource({ kind: 'file', path: join(dir, 'a.csv.gz') }));
      expect(a.rows).toEqual([
        { id: '1', name: 'a' },
        { id: '2', name: 'b\nc' },
      ]);
      expect(a.positions).toEqual(['a.csv.gz:2', 'a.csv.gz:3']);
      expect(a.bytes).toBe(gzipSync(csv).length);
      const b = await collect(new FileSource({ kind: 'file', path: join(dir, 'b.data') }));
      expect(b.rows).toEqual([{ id: 1 }, { id: 2 }]);
    });
  });

  it('check() says clearly when no file matches, and ok when one does', async () => {
    await withTempDir(async (dir) => {
      const missing = await new FileSource({ kind: 'file', path: join(dir, 'nothing-*.csv') }).check();
      expect(missing.ok).toBe(false);
      expect(missing.message).toContain('no file matches');
      await expect(collect(new FileSource({ kind: 'file', path: join(dir, 'nothing-*.csv') }))).rejects.toThrow(
        /no file matches/,
      );
      await writeFile(join(dir, 'x.csv'), 'a\n1\n');
      expect(await new FileSource({ kind: 'file', path: join(dir, 'x.csv') }).check()).toEqual({ ok: true });
    });
  });

  it('reads incrementally by new files, including one with the same modification time', async () => {
    await withTempDir(async (dir) => {
      const t1 = new Date('2024-05-01T10:00:00Z');
      const t2 = new Date('2024-05-01T11:00:00Z');
      const put = async (name: string, id: number, at: Date): Promise<void> => {
        await writeFile(join(dir, name), `id\n${id}\n`);
        await utimes(join(dir, name), at, at);
      };
      await put('a.csv', 1, t1);
      await put('b.csv', 2, t2);
      const source = new FileSource({ kind: 'file', path: join(dir, '*.csv') });
      const first = await collect(source);
      expect(first.rows.map((r) => r.id)).toEqual(['1', '2']);
      expect(first.cursor).toEqual({
        column: '_last_modified',
        value: t2.toISOString(),
        keysAtValue: [],
        objects: [{ key: 'b.csv', lastModified: t2.toISOString() }],
      });

      await put('c.csv', 3, t2); // same time as b.csv, not yet seen
      await put('d.csv', 4, new Date('2024-05-01T12:00:00Z'));
      const second = await collect(source, { cursor: first.cursor });
      expect(second.rows.map((r) => r.id)).toEqual(['3', '4']);
      const third = await collect(source, { cursor: second.cursor });
      expect(third.rows).toEqual([]);
      expect(third.batches).toEqual([]);
    });
  });
});

describe('FileSource: Parquet written by another writer', () => {
  it('maps Parquet types to logical types and reads the rows', async () => {
    await withTempDir(async (dir) => {
      const schema = new ParquetSchema({
        id: { type: 'INT64' },
        score: { type: 'FLOAT', optional: true },
        label: { type: 'UTF8', optional: true },
        day: { type: 'DATE', optional: true },
        at: { type: 'TIMESTAMP_MICROS', optional: true },
        raw: { type: 'BYTE_ARRAY', optional: true },
        small: { type: 'INT_16', optional: true },
      });
      const writer = await ParquetWriter.openFile(schema, join(dir, 'foreign.parquet'));
      await writer.appendRow({
        id: 1n,
        score: 0.5,
        label: 'x',
        day: new Date('2024-02-03T00:00:00Z'),
        at: new Date('2024-02-03T04:05:06Z'),
        raw: Buffer.from('hi'),
        small: 3,
      });
      await writer.appendRow({ id: 2n });
      await writer.close();

      const source = new FileSource({ kind: 'file', path: join(dir, 'foreign.parquet') });
      const [discovered] = await source.discover();
      expect(discovered.columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
        ['id', 'bigint', false],
        ['score', 'number', true],
        ['label', 'string', true],
        ['day', 'date', true],
        ['at', 'timestamptz', true],
        ['raw', 'binary', true],
        ['small', 'integer', true],
      ]);
      const out = await collect(source);
      expect(out.rows[0]).toEqual({
        id: 1,
        score: 0.5,
        label: 'x',
        day: '2024-02-03',
        at: new Date('2024-02-03T04:05:06Z'),
        raw: Buffer.from('hi'),
        small: 3,
      });
      expect(out.rows[1]).toMatchObject({ id: 2, score: null, label: null });
      expect(out.positions).toEqual(['foreign.parquet:1', 'foreign.parquet:2']);
    });
  });

  it('fails a file that is not Parquet as data-quality', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'fake.parquet'), 'PAR1 but not really');
      await expect(collect(new FileSource({ kind: 'file', path: join(dir, 'fake.parquet') }))).rejects.toMatchObject({
        errorClass: 'data-quality',
        message: expect.stringContaining('fake.parquet: not a readable Parquet file'),
      });
    });
  });
});

describe('DirectorySink → FileSource round trips', () => {
  it.each(['parquet', 'jsonl', 'csv'] as const)('%s: row count and checksum survive', async (format) => {
    await withTempDir(async (dir) => {
      const rows = typedRows(5000);
      const sink = new DirectorySink({ kind: 'directory', path: join(dir, 'out'), format }, { maxRowsPerPart: 2000 });
      expect(await sink.check()).toEqual({ ok: true });
      const result = await sink.write(asBatches(rows, 500), writeOptions('run-1', typedSchema));
      expect(result.rowsWritten).toBe(5000);
      expect(result.bytesWritten).toBeGreaterThan(0);
      expect((await readdir(join(dir, 'out'))).sort()).toEqual([
        `part-run-1-00000.${format}`,
        `part-run-1-00001.${format}`,
        `part-run-1-00002.${format}`,
      ]);

      const source = new FileSource({ kind: 'file', path: join(dir, 'out') });
      const back = await collect(source, { batchSize: 1000 });
      expect(back.rows).toHaveLength(5000);
      const columns = typedSchema.columns.map((c) => c.name);
      expect(checksum(back.rows, columns)).toBe(checksum(rows, columns));
      expect(back.positions[0]).toBe(`part-run-1-00000.${format}:${format === 'csv' ? 2 : 1}`);
      if (format === 'parquet') {
        const [schema] = await source.discover();
        expect(schema.columns).toEqual(typedSchema.columns);
      }
      if (format === 'csv') {
        // Empty strings and nulls stay apart through CSV.
        expect(back.rows[0].name).toBe('');
        expect(back.rows[0]['we"ird; col']).toBeNull();
      }
    });
  });
});
