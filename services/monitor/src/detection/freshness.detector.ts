import type { RunStatsRecord } from '@aoe/store';
import { round, type DetectionOptions, type Finding } from './finding';
import type { ExpectedInterval } from './interval';

/**
 * Freshness: no successful run within the expected interval plus a
 * tolerance — half an interval, or k spreads of the gaps between runs when
 * they vary more. The finding names the last successful run, so one stale
 * period raises one alert.
 */
export function detectFreshness(
  pipelineId: string,
  lastSuccess: RunStatsRecord | undefined,
  interval: ExpectedInterval | undefined,
  now: Date,
  options: DetectionOptions,
): Finding | undefined {
  if (!lastSuccess || !interval) return undefined;
  const toleranceMs = Math.max(interval.ms / 2, options.k * interval.spreadMs);
  const sinceMs = now.getTime() - Date.parse(lastSuccess.finishedAt);
  const allowedMs = interval.ms + toleranceMs;
  if (sinceMs <= allowedMs) return undefined;
  const overdueMs = sinceMs - interval.ms;
  return {
    kind: 'freshness',
    pipelineId,
    runId: lastSuccess.runId,
    at: now.toISOString(),
    summary: `No successful run for ${Math.round(sinceMs / 60_000)} min; expected every ${Math.round(interval.ms / 60_000)} min (${interval.basis}).`,
    score: sinceMs / allowedMs,
    evidence: {
      lastSuccessRunId: lastSuccess.runId,
      lastSuccessAt: lastSuccess.finishedAt,
      expectedIntervalMs: round(interval.ms, 0),
      basis: interval.basis,
      toleranceMs: round(toleranceMs, 0),
      sinceMs,
      overdueMs,
      checkedAt: now.toISOString(),
    },
  };
}
