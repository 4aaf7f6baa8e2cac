import type { RunStatsRecord } from '@aoe/store';
import { MAD_TO_SIGMA, mad, project, theilSen } from '../statistics/robust';
import { round, threshold, type DetectionOptions, type Finding } from './finding';

/** Rows the run read from its source (what arrived), or loaded when it did not say. */
export function volumeOf(run: RunStatsRecord): number | undefined {
  return run.rowsRead ?? run.rowsLoaded;
}

/**
 * Volume drop or spike: ln(1 + rows) against the band of the pipeline's
 * succeeded runs (oldest first): the Theil–Sen line through them, projected
 * one run ahead, ± the MAD of the residuals. A growing pipeline moves its
 * line instead of alerting; on the log scale a 90% drop is as far as a 10×
 * spike, and variation proportional to the volume has one width.
 */
export function detectVolume(
  current: RunStatsRecord,
  history: readonly RunStatsRecord[],
  options: DetectionOptions,
): Finding | undefined {
  const value = volumeOf(current);
  if (value === undefined || current.status !== 'succeeded') return undefined;
  const past = history.filter((r) => r.status === 'succeeded').flatMap((r) => volumeOf(r) ?? []);
  if (past.length < options.minHistory) return undefined;
  const logs = past.map((v) => Math.log1p(v));
  const trend = theilSen(logs);
  const center = project(trend, logs.length);
  const residuals = logs.map((y, i) => y - project(trend, i));
  const scale = Math.max(MAD_TO_SIGMA * mad(residuals), Math.log1p(options.minRelativeScale));
  const z = (Math.log1p(value) - center) / scale;
  const limit = threshold(options, logs.length);
  if (Math.abs(z) <= limit) return undefined;
  const typical = Math.expm1(center);
  const change = typical === 0 ? Infinity : value / typical - 1;
  const drop = z < 0;
  return {
    kind: drop ? 'volume-drop' : 'volume-spike',
    pipelineId: current.pipelineId,
    runId: current.runId,
    at: current.finishedAt,
    summary: `${drop ? 'Volume dropped' : 'Volume spiked'}: ${value} rows against a typical ${Math.round(typical)} (${change === Infinity ? 'from none' : `${round(change * 100, 1)}%`}).`,
    score: Math.abs(z) / limit,
    evidence: {
      metric: current.rowsRead === undefined ? 'rowsLoaded' : 'rowsRead',
      value,
      expected: round(typical, 2),
      trendPerRun: round(Math.expm1(trend.slope), 5),
      change: change === Infinity ? null : round(change),
      robustZ: round(z, 2),
      threshold: round(limit, 2),
      scale: 'ln(1 + rows): Theil–Sen trend of the history ± MAD of its residuals × 1.4826',
      history: logs.length,
    },
  };
}
