/**
 * What the recovery benchmarks share: quiet, fast recovery settings for the
 * in-process mesh (e2e/test/support/recovery-mesh.ts), CSV files with known
 * checksums, target checks, and percentiles.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';

/** The mesh's services log at warn; settings the caller did not set get the benchmark's defaults. */
export function benchmarkEnvironment(defaults: Record<string, string>): void {
  process.env.LOG_LEVEL ??= 'warn';
  process.env.AOE_SCHEDULER_INTERVAL_MS ??= '0';
  for (const [name, value] of Object.entries(defaults)) process.env[name] ??= value;
}

/** `id,name` rows 1..rows; the md5 is what `tableChecksum` computes over a table holding exactly them. */
export async function writeItems(path: string, rows: number): Promise<{ path: string; rows: number; md5: string }> {
  const lines = Array.from({ length: rows }, (_, i) => `${i + 1},item ${i + 1}`);
  await writeFile(path, `id,name\n${lines.join('\n')}\n`);
  return { path, rows, md5: md5(lines.join('\n')) };
}

export const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

/** Runs the benchmark and exits: 0 when it finished, 1 with the error printed. */
export function runBenchmark(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
