import type { RecordFormat } from './record-stream';

/**
 * How sinks name what they write: `part-<runId>-<00000>.<ext>`. The run id in
 * the name makes a load idempotent: re-running a run replaces its own parts.
 */
const PART = /^part-(.+)-(\d{5,})\.(csv|jsonl|parquet)$/;

/** A run id as it may appear in a file or key name. */
export function safeRunId(runId: string): string {
  return runId.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export function partName(runId: string, index: number, format: RecordFormat): string {
  return `part-${safeRunId(runId)}-${String(index).padStart(5, '0')}.${format}`;
}

export function parsePartName(name: string): { runId: string; index: number; format: RecordFormat } | undefined {
  const match = PART.exec(name);
  if (!match) return undefined;
  return { runId: match[1], index: Number(match[2]), format: match[3] as RecordFormat };
}

/**
 * Parts a commit makes obsolete: this run's that the new attempt did not write
 * (an earlier, longer or other-format attempt), and, on replace, every other run's.
 */
export function isObsoletePart(
  name: string,
  commit: { runId: string; parts: number; format: RecordFormat; replace: boolean },
): boolean {
  const parsed = parsePartName(name);
  if (!parsed) return false;
  if (parsed.runId === safeRunId(commit.runId)) return parsed.index >= commit.parts || parsed.format !== commit.format;
  return commit.replace;
}
