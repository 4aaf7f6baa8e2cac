import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { SourceSpec } from '@aoe/contracts';
import { SourceProfiler } from '../src';
import { withTempDir } from './fixtures/data';

const ROWS = 2_000_000;

/** Writes a CSV of `rows` rows (about 70 bytes each) with backpressure. */
async function generateCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('id,email,amount,status,created_at\n');
  const start = Date.UTC(2024, 0, 1);
  for (let from = 1; from <= rows; from += 10_000) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(from + 10_000, rows + 1); i++) {
      lines.push(
        `${i},user${i % 50_000}@example.com,${(i % 10_000) / 100},${i % 3 ? 'paid' : 'new'},${new Date(start + i * 1000).toISOString()}`,
      );
    }
    if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Bytes this process has read through read(2) so far (Linux), or undefined elsewhere. */
async function bytesReadByProcess(): Promise<number | undefined> {
  const io = await readFile('/proc/self/io', 'utf8').catch(() => undefined);
  const match = io ? /^rchar:\s+(\d+)$/m.exec(io) : null;
  return match ? Number(match[1]) : undefined;
}

describe('bounded sampling', () => {
  it('reads only its sample of a 2M-row CSV, whatever the file size', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'big.csv');
      await generateCsv(path, ROWS);
      const size = (await stat(path)).size;
      expect(size).toBeGreaterThan(100 * 1024 * 1024);
      const profiler = new SourceProfiler();
      const spec = SourceSpec.parse({ kind: 'file', path });

      // The row bound (10,000 by default) stops the read.
      let before = await bytesReadByProcess();
      const byRows = await profiler.profile({ sourceId: 'big', spec });
      let after = await bytesReadByProcess();
      expect(byRows.sampling.stoppedBy).toBe('rows');
      expect(byRows.sampling.rowsRead).toBe(10_000);
      expect(byRows.profile.sampleSize).toBe(10_000);
      // 10,000 rows are about 700 KB; what the connector counted past them is its read-ahead.
      expect(byRows.sampling.bytesRead).toBeLessThan(2 * 1024 * 1024);
      if (before !== undefined && after !== undefined) expect(after - before).toBeLessThan(8 * 1024 * 1024);
      // …and still the profile knows the file: its size and the bytes per row (of the sample and of the
      // file's last 64 KiB, as the first rows have shorter ids than the rest) give the count.
      expect(byRows.profile.sizeBytes).toBe(size);
      expect(byRows.profile.rowCountEstimate).toBeGreaterThan(ROWS * 0.97);
      expect(byRows.profile.rowCountEstimate).toBeLessThan(ROWS * 1.03);
      expect(byRows.profile.cursorCandidates).toEqual(['created_at', 'id']);

      // The byte bound stops it first when rows are many and small.
      const maxBytes = 256 * 1024;
      before = await bytesReadByProcess();
      const byBytes = await profiler.profile({ sourceId: 'big', spec, limits: { maxRows: 1_000_000, maxBytes } });
      after = await bytesReadByProcess();
      expect(byBytes.sampling.stoppedBy).toBe('bytes');
      expect(byBytes.sampling.rowsRead).toBeLessThan(10_000);
      // At most one batch and the stream's read-ahead past the bound.
      expect(byBytes.sampling.bytesRead).toBeLessThan(maxBytes + 512 * 1024);
      if (before !== undefined && after !== undefined) expect(after - before).toBeLessThan(4 * 1024 * 1024);
    });
  });
});
