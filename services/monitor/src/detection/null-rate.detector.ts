import type { RunStatsRecord } from '@aoe/store';
import { robustBand } from '../statistics/robust';
import { round, threshold, type DetectionOptions, type Finding } from './finding';

/**
 * Null-rate jump: each column's null rate against the median/MAD band of its
 * own history. A rate measured on n rows cannot be trusted closer than its
 * binomial standard error √(p(1−p)/n), so that is the band's narrowest width
 * (a column that was never null does not alert on one null value in a
 * sample). Only rises alert; every column that jumped is in one finding.
 */
export function detectNullRate(
  current: RunStatsRecord,
  history: readonly RunStatsRecord[],
  options: DetectionOptions,
): Finding | undefined {
  if (current.status !== 'succeeded' || !current.columns) return undefined;
  const jumps: Array<Record<string, unknown>> = [];
  let score = 0;
  for (const column of current.columns) {
    if (column.nullRate === undefined) continue;
    const past = history.flatMap((r) => {
      const rate = r.columns?.find((c) => c.name === column.name)?.nullRate;
      return rate === undefined ? [] : [rate];
    });
    if (past.length < options.minHistory) continue;
    const band = robustBand(past);
    const n = column.sampleSize ?? current.rowsRead ?? 0;
    const p = Math.max(band.center, n > 0 ? 1 / n : 0);
    const standardError = n > 0 ? Math.sqrt((p * (1 - p)) / n) : 0;
    const scale = Math.max(band.scale, standardError, 1e-6);
    const z = (column.nullRate - band.center) / scale;
    const limit = threshold(options, band.n);
    if (z <= limit) continue;
    score = Math.max(score, z / limit);
    jumps.push({
      column: column.name,
      nullRate: round(column.nullRate),
      median: round(band.center),
      robustZ: round(z, 2),
      threshold: round(limit, 2),
      measuredOn: n || null,
      history: band.n,
    });
  }
  if (jumps.length === 0) return undefined;
  const names = jumps.map((j) => `${String(j.column)} ${String(j.median)} → ${String(j.nullRate)}`);
  return {
    kind: 'null-rate-jump',
    pipelineId: current.pipelineId,
    runId: current.runId,
    at: current.finishedAt,
    summary: `Null rate jumped: ${names.join(', ')}.`,
    score,
    evidence: { columns: jumps, scale: 'null rate, median ± max(MAD × 1.4826, binomial standard error)' },
  };
}
