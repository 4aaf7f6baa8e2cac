import type { RunStatsRecord } from '@aoe/store';
import { detectDuration } from './duration.detector';
import { detectFailureTrend } from './failure-trend.detector';
import type { DetectionOptions, Finding } from './finding';
import type { ExpectedInterval } from './interval';
import { detectNullRate } from './null-rate.detector';
import { detectSchemaDrift } from './schema-drift.detector';
import { detectVolume } from './volume.detector';

/** Every detector that judges a finished run against the pipeline's history (older runs, any order: sorted oldest first here). */
export function detectRunAnomalies(
  current: RunStatsRecord,
  history: readonly RunStatsRecord[],
  interval: ExpectedInterval | undefined,
  options: DetectionOptions,
): Finding[] {
  const older = history
    .filter((r) => r.runId !== current.runId)
    .sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  return [
    detectVolume(current, older, options),
    detectDuration(current, older, options),
    detectNullRate(current, older, options),
    detectSchemaDrift(current, older),
    detectFailureTrend(current, older, interval, options),
  ].filter((f): f is Finding => f !== undefined);
}
