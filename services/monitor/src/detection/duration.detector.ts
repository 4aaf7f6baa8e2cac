import type { RunStatsRecord } from '@aoe/store';
import { ewma, robustBand } from '../statistics/robust';
import { round, threshold, type DetectionOptions, type Finding } from './finding';

/**
 * Duration spike: ln(duration) against an EWMA band of the pipeline's
 * succeeded runs, oldest first, so a duration that grows slowly with the data
 * moves the band instead of alerting. The band's width is the larger of the
 * EWMA standard deviation and the MAD scale (neither alone is trusted on a
 * short history).
 */
export function detectDuration(
  current: RunStatsRecord,
  history: readonly RunStatsRecord[],
  options: DetectionOptions,
): Finding | undefined {
  const value = current.durationMs;
  if (value === undefined || value <= 0 || current.status !== 'succeeded') return undefined;
  const past = history
    .filter((r) => r.status === 'succeeded' && r.durationMs !== undefined && r.durationMs > 0)
    .map((r) => Math.log(r.durationMs as number));
  if (past.length < options.minHistory) return undefined;
  const level = ewma(past, options.ewmaAlpha);
  const band = robustBand(past);
  const scale = Math.max(level.std, band.scale, Math.log1p(options.minRelativeScale));
  const z = (Math.log(value) - level.mean) / scale;
  const limit = threshold(options, past.length);
  if (z <= limit) return undefined;
  const typical = Math.exp(level.mean);
  return {
    kind: 'duration-spike',
    pipelineId: current.pipelineId,
    runId: current.runId,
    at: current.finishedAt,
    summary: `Run took ${Math.round(value)} ms against a typical ${Math.round(typical)} ms (${round(value / typical, 2)}×).`,
    score: z / limit,
    evidence: {
      metric: 'durationMs',
      value,
      ewmaMs: round(typical, 1),
      medianMs: round(Math.exp(band.center), 1),
      ratio: round(value / typical, 3),
      z: round(z, 2),
      threshold: round(limit, 2),
      scale: `ln(duration), EWMA(α=${options.ewmaAlpha}) ± max(EWM std, MAD × 1.4826)`,
      history: past.length,
    },
  };
}
