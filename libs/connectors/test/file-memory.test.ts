import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FileSource } from '../src';
import { withTempDir } from './fixtures/support';

/** A real collector, so heap figures measure what the reader keeps alive, not garbage not yet swept. */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function writeLargeCsv(path: string, rows: number): Promise<number> {
  const out = createWriteStream(path);
  out.write('id,email,amount,day,note\n');
  for (let i = 0; i < rows; i++) {
    const line = `${i},user${i}@example.com,${(i * 1.37).toFixed(2)},2024-03-${String((i % 28) + 1).padStart(2, '0')},"a, b"\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
  return (await stat(path)).size;
}

describe('FileSource memory', () => {
  it('streams a 200k-row CSV with heap growth far below the file size', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'large.csv');
      const fileSize = await writeLargeCsv(path, 200_000);
      const gc = gcFunction();
      gc();
      const baseline = process.memoryUsage().heapUsed;

      let rows = 0;
      let batches = 0;
      let peakRetained = 0;
      for await (const batch of new FileSource({ kind: 'file', path }).read({ batchSize: 1000 })) {
        rows += batch.rows.length;
        batches += 1;
        if (batches % 40 === 0) {
          // Mid-read: what the pipeline holds (buffers, one batch), after garbage is swept.
          gc();
          peakRetained = Math.max(peakRetained, process.memoryUsage().heapUsed - baseline);
        }
      }

      expect(rows).toBe(200_000);
      expect(fileSize).toBeGreaterThan(10 * 1024 * 1024);
      // The file held as rows would take several times its size; a streaming read keeps one batch and buffers.
      expect(peakRetained).toBeLessThan(fileSize / 4);
    });
  });
});
