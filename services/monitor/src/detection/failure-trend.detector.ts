import type { RunStatsRecord } from '@aoe/store';
import { project, theilSen, type Trend } from '../statistics/robust';
import { round, type DetectionOptions, type Finding } from './finding';
import type { ExpectedInterval } from './interval';

/** Failed task attempts of a run: retries plus tasks that stayed failed. */
export function taskFailures(run: RunStatsRecord): number {
  return run.retries + run.failedTasks;
}

function describeTrend(trend: Trend, projected: number): Record<string, number> {
  return {
    slopePerRun: round(trend.slope, 3),
    tau: round(trend.tau, 3),
    projected: round(projected, 1),
  };
}

/**
 * Predictive: the newest `trendWindow` runs (the current one included,
 * oldest first) trend towards failure before any of them fails.
 *
 * - duration: the Theil–Sen line of durations rises consistently
 *   (tau ≥ minTau) and, `trendHorizon` runs ahead, crosses the pipeline's
 *   interval (a run that outlasts its interval overlaps the next one) while
 *   the current run is still inside it;
 * - task failures (retries + failed tasks): the line rises consistently and
 *   the current run already needed a retry.
 *
 * The trend lines, the window's failure rate and the series are the evidence.
 */
export function detectFailureTrend(
  current: RunStatsRecord,
  history: readonly RunStatsRecord[],
  interval: ExpectedInterval | undefined,
  options: DetectionOptions,
): Finding | undefined {
  const runs = [...history.filter((r) => r.runId !== current.runId), current]
    .sort((a, b) => a.finishedAt.localeCompare(b.finishedAt))
    .slice(-options.trendWindow);
  if (runs.length < Math.min(options.minHistory, options.trendWindow)) return undefined;
  const signals: Array<Record<string, unknown>> = [];
  let score = 0;

  const durations = runs.flatMap((r) => (r.durationMs === undefined ? [] : [r.durationMs]));
  if (interval && durations.length === runs.length && current.durationMs !== undefined) {
    const trend = theilSen(durations);
    const now = project(trend, durations.length - 1);
    const ahead = project(trend, durations.length - 1 + options.trendHorizon);
    if (trend.slope > 0 && trend.tau >= options.minTau && ahead >= interval.ms && current.durationMs < interval.ms) {
      const runsUntil = Math.max(1, Math.ceil((interval.ms - now) / trend.slope));
      score = Math.max(score, ahead / interval.ms);
      signals.push({
        metric: 'durationMs',
        ...describeTrend(trend, ahead),
        intervalMs: round(interval.ms, 0),
        intervalBasis: interval.basis,
        runsUntilBreach: runsUntil,
      });
    }
  }

  const failures = runs.map(taskFailures);
  const failureTrend = theilSen(failures);
  if (failureTrend.slope > 0 && failureTrend.tau >= options.minTau && taskFailures(current) > 0) {
    const ahead = project(failureTrend, failures.length - 1 + options.trendHorizon);
    score = Math.max(score, 1 + failureTrend.tau);
    signals.push({ metric: 'taskFailures', ...describeTrend(failureTrend, ahead) });
  }

  if (signals.length === 0) return undefined;
  const failed = runs.filter((r) => r.status === 'failed').length;
  return {
    kind: 'failure-trend',
    pipelineId: current.pipelineId,
    runId: current.runId,
    at: current.finishedAt,
    summary: `Trending towards failure: ${signals.map((s) => `${String(s.metric)} rising ${String(s.slopePerRun)}/run`).join('; ')}.`,
    score,
    evidence: {
      signals,
      window: runs.length,
      horizonRuns: options.trendHorizon,
      failureRate: round(failed / runs.length, 3),
      series: { runIds: runs.map((r) => r.runId), durationMs: durations, taskFailures: failures },
      method: 'Theil–Sen slope with Kendall tau over the newest runs',
    },
  };
}
