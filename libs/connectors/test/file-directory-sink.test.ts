import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectorySink, FileSource, type Batch, type Row, type StreamSchema } from '../src';
import { asBatches, collect, withTempDir, writeOptions } from './fixtures/support';

const schema: StreamSchema = {
  name: 'orders',
  columns: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'who', type: 'string', nullable: true },
  ],
};

const rows = (count: number, tag: string): Row[] => Array.from({ length: count }, (_, i) => ({ id: i, who: tag }));

async function* failingAfter(batches: AsyncIterable<Batch>, count: number): AsyncGenerator<Batch> {
  let seen = 0;
  for await (const batch of batches) {
    if (seen++ === count) throw new Error('source went away');
    yield batch;
  }
}

const listParts = async (dir: string): Promise<string[]> => (await readdir(dir)).sort();

describe('DirectorySink', () => {
  it('re-running a run replaces its own parts (idempotent), other runs stay on append', async () => {
    await withTempDir(async (dir) => {
      const sink = new DirectorySink(
        { kind: 'directory', path: 'out', format: 'csv' },
        { maxRowsPerPart: 10, cwd: dir },
      );
      const out = join(dir, 'out');
      await sink.write(asBatches(rows(30, 'first'), 10), writeOptions('r1', schema));
      expect(await listParts(out)).toEqual(['part-r1-00000.csv', 'part-r1-00001.csv', 'part-r1-00002.csv']);

      // The retry of r1 writes fewer rows: its third part from the first attempt must go.
      const again = await sink.write(asBatches(rows(15, 'retry'), 10), writeOptions('r1', schema));
      expect(again).toMatchObject({ rowsWritten: 15, location: out });
      expect(await listParts(out)).toEqual(['part-r1-00000.csv', 'part-r1-00001.csv']);

      await sink.write(asBatches(rows(5, 'second'), 10), writeOptions('r2', schema));
      const all = await collect(new FileSource({ kind: 'file', path: out }));
      expect(all.rows).toHaveLength(20);
      expect(new Set(all.rows.map((r) => r.who))).toEqual(new Set(['retry', 'second']));
    });
  });

  it('replace removes earlier parts only after the new ones are committed', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'out');
      const sink = new DirectorySink({ kind: 'directory', path: out, format: 'jsonl' }, { maxRowsPerPart: 10 });
      await sink.write(asBatches(rows(20, 'old'), 10), writeOptions('r1', schema));
      await writeFile(join(out, 'README.txt'), 'not a part');

      // A replace that fails half-way leaves the old data and no temporary files.
      await expect(
        sink.write(failingAfter(asBatches(rows(50, 'new'), 10), 3), writeOptions('r2', schema, 'replace')),
      ).rejects.toThrow('source went away');
      expect(await listParts(out)).toEqual(['README.txt', 'part-r1-00000.jsonl', 'part-r1-00001.jsonl']);

      await sink.write(asBatches(rows(12, 'new'), 10), writeOptions('r2', schema, 'replace'));
      expect(await listParts(out)).toEqual(['README.txt', 'part-r2-00000.jsonl', 'part-r2-00001.jsonl']);
      const all = await collect(new FileSource({ kind: 'file', path: join(out, '*.jsonl') }));
      expect(all.rows.map((r) => r.who)).toEqual(Array(12).fill('new'));
    });
  });

  it('refuses merge, and a value that does not cast fails as data-quality without leaving files', async () => {
    await withTempDir(async (dir) => {
      const sink = new DirectorySink({ kind: 'directory', path: dir, format: 'parquet' });
      await expect(sink.write(asBatches(rows(1, 'x'), 1), writeOptions('r1', schema, 'merge'))).rejects.toMatchObject({
        errorClass: 'bug',
      });
      await expect(
        sink.write(asBatches([{ id: 'not a number', who: 'x' }], 1), writeOptions('r1', schema)),
      ).rejects.toMatchObject({
        errorClass: 'data-quality',
        message: expect.stringContaining('column "id" (integer)'),
      });
      expect(await readdir(dir)).toEqual([]);
    });
  });

  it('adds columns that appear mid-load, starting a part with the wider header', async () => {
    await withTempDir(async (dir) => {
      const sink = new DirectorySink({ kind: 'directory', path: dir, format: 'csv' });
      async function* batches(): AsyncGenerator<Batch> {
        yield { rows: [{ id: 1, who: 'a' }], positions: ['p:1'], rejected: [], bytes: 0 };
        yield { rows: [{ id: 2, who: 'b', 'new col': 'x' }], positions: ['p:2'], rejected: [], bytes: 0 };
      }
      const result = await sink.write(batches(), writeOptions('r1', schema));
      expect(result.rowsWritten).toBe(2);
      expect(await readFile(join(dir, 'part-r1-00000.csv'), 'utf8')).toBe('id,who\n1,a\n');
      expect(await readFile(join(dir, 'part-r1-00001.csv'), 'utf8')).toBe('id,who,new col\n2,b,x\n');
    });
  });

  it('check() refuses a path that is a file', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'file'), '');
      const result = await new DirectorySink({ kind: 'directory', path: join(dir, 'file', 'out') }).check();
      expect(result).toEqual({ ok: false, message: `${join(dir, 'file')} exists and is not a directory` });
      expect(await new DirectorySink({ kind: 'directory', path: join(dir, 'a', 'b') }).check()).toEqual({ ok: true });
    });
  });
});
