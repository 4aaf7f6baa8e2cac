import type { ErrorClass, RunSettings } from '@aoe/contracts';
import type { RunRecord } from '@aoe/store';

/** One past run as the optimizer learns from it. */
export interface RunObservation {
  runId: string;
  pipelineId: string;
  /** A run of the pipeline being optimized; otherwise of a pipeline with a similar profile. */
  own: boolean;
  status: 'succeeded' | 'failed';
  settings: RunSettings;
  /** The extract mode of the plan version the run used, when known. */
  extractMode?: 'full' | 'incremental';
  rowsRead: number;
  durationMs: number;
  cpuSeconds?: number;
  peakMemoryBytes?: number;
  bytesMoved?: number;
  errorClass?: ErrorClass;
}

/** A finished run with the settings it ran with; queued, running and cancelled runs teach nothing. */
export function observationOf(
  run: RunRecord,
  own: boolean,
  extractMode?: 'full' | 'incremental',
): RunObservation | undefined {
  if ((run.status !== 'succeeded' && run.status !== 'failed') || !run.settings) return undefined;
  return {
    runId: run.id,
    pipelineId: run.pipelineId,
    own,
    status: run.status,
    settings: run.settings,
    ...(extractMode ? { extractMode } : {}),
    rowsRead: run.stats?.rowsRead ?? 0,
    durationMs: run.stats?.durationMs ?? 0,
    ...(run.cpuSeconds !== undefined ? { cpuSeconds: run.cpuSeconds } : {}),
    ...(run.peakMemoryBytes !== undefined ? { peakMemoryBytes: run.peakMemoryBytes } : {}),
    ...(run.bytesMoved !== undefined ? { bytesMoved: run.bytesMoved } : {}),
    ...(run.error ? { errorClass: run.error.class } : {}),
  };
}

/** Rows per CPU-second: the objective. Only a succeeded run that read rows and used CPU has one. */
export function throughput(o: RunObservation): number | undefined {
  if (o.status !== 'succeeded' || !o.cpuSeconds || o.cpuSeconds <= 0 || o.rowsRead <= 0) return undefined;
  return o.rowsRead / o.cpuSeconds;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
