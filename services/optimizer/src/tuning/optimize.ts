import { PipelinePlan, type RunSettings, type SourceProfile } from '@aoe/contracts';
import { BOUNDS, roundBatch, settingsLimits, type SettingsLimits } from './bounds';
import { chooseExtract, type ExtractSettings } from './choose-extract';
import { chooseSettings, type SettingsChoice } from './choose-settings';
import { rowWidth, type RowWidth } from './row-width';
import type { RunObservation } from './run-observation';

/** A run that peaked above this much memory was too close to the edge: its batch size is not tried again. */
export const PEAK_MEMORY_LIMIT = 2 * 1024 ** 3;

export interface OptimizationInput {
  /** The drafted plan. */
  plan: PipelinePlan;
  /** The source's latest profile, when the store has one. */
  profile?: SourceProfile;
  history: RunObservation[];
  /** Seeds the exploration draw: the same input always decides the same way. */
  seed: string;
  /** Share of optimizations (0..1) that try a neighbour of the best observed setting. */
  explorationRate: number;
}

export interface Optimization {
  settings: RunSettings;
  extract: ExtractSettings;
  /** A neighbour of the best setting is being tried. */
  explored: boolean;
  /** What the choice rests on, as stored in the decision. */
  evidence: {
    rowBytes: number;
    rowBytesFrom: RowWidth['from'];
    limits: SettingsLimits;
    batchCeiling?: { batchSize: number; runId: string; why: string };
    history: { own: number; similar: number };
    settings: SettingsChoice['evidence'];
  };
}

/** The row width, the batch ceiling left by runs that ran out of resources, and the limits they give. */
export function optimizationLimits(input: OptimizationInput): {
  limits: SettingsLimits;
  width: RowWidth;
  ceiling?: { batchSize: number; runId: string; why: string };
} {
  const width = rowWidth(
    input.profile,
    input.history.filter((o) => o.bytesMoved !== undefined && o.rowsRead > 0).map((o) => o.bytesMoved! / o.rowsRead),
  );
  let ceiling: { batchSize: number; runId: string; why: string } | undefined;
  for (const o of input.history) {
    const why =
      o.errorClass === 'resource-exhaustion'
        ? 'failed for lack of resources'
        : (o.peakMemoryBytes ?? 0) > PEAK_MEMORY_LIMIT
          ? `peaked at ${Math.round(o.peakMemoryBytes! / 1024 ** 2)} MiB`
          : undefined;
    const below = roundBatch(o.settings.batchSize / 2);
    if (why && (!ceiling || below < ceiling.batchSize)) ceiling = { batchSize: below, runId: o.runId, why };
  }
  const extract = input.plan.tasks.find((t) => t.kind === 'extract');
  const limits = settingsLimits({
    rowBytes: width.bytes,
    kind: input.profile?.kind,
    partitionable: extract?.kind === 'extract' && extract.params.partitions > 1,
    batchCeiling: ceiling?.batchSize,
  });
  return { limits, width, ...(ceiling ? { ceiling } : {}) };
}

const mib = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;

/**
 * The optimizer's rules brain: settings within the limits (from history, or
 * rules without one), the extract mode, and one paragraph saying why.
 */
export function optimize(input: OptimizationInput): { value: Optimization; rationale: string } {
  const { limits, width, ceiling } = optimizationLimits(input);
  const settings = chooseSettings({
    plan: input.plan,
    profile: input.profile,
    history: input.history,
    limits,
    rowWidth: width,
    seed: input.seed,
    explorationRate: input.explorationRate,
  });
  const extract = chooseExtract(input.plan, input.profile, input.history, settings.settings.readParallelism);
  const { reasons: extractReasons, ...extractSettings } = extract;

  const reasons = [
    ...settings.reasons,
    `Memory bound: a batch holds at most ${limits.maxBatchSize.toLocaleString('en-US')} rows (${mib(BOUNDS.batchMemoryBytes)} at ~${width.bytes.toLocaleString('en-US')} bytes per row, from ${width.from}); read parallelism at most ${limits.maxReadParallelism}, load concurrency at most ${limits.maxLoadConcurrency}.`,
    ...(ceiling
      ? [
          `Run ${ceiling.runId} ${ceiling.why}, so batches stay at or below ${ceiling.batchSize.toLocaleString('en-US')} rows.`,
        ]
      : []),
    ...extractReasons,
  ];
  return {
    value: {
      settings: settings.settings,
      extract: extractSettings,
      explored: settings.explored,
      evidence: {
        rowBytes: width.bytes,
        rowBytesFrom: width.from,
        limits,
        ...(ceiling ? { batchCeiling: ceiling } : {}),
        history: {
          own: input.history.filter((o) => o.own).length,
          similar: input.history.filter((o) => !o.own).length,
        },
        settings: settings.evidence,
      },
    },
    rationale: reasons.join(' '),
  };
}

/** The drafted plan with the optimizer's settings and extract, as a new version. */
export function applyOptimization(
  plan: PipelinePlan,
  value: Optimization,
  version: number,
  createdAt: string,
): PipelinePlan {
  return PipelinePlan.parse(optimizedPlan(plan, value, version, createdAt));
}

/** The same, unchecked: for a check that reports what is wrong instead of throwing. */
export function optimizedPlan(plan: PipelinePlan, value: Optimization, version: number, createdAt: string): unknown {
  return {
    ...plan,
    version,
    createdAt,
    settings: value.settings,
    tasks: plan.tasks.map((task) =>
      task.kind === 'extract'
        ? {
            ...task,
            params: {
              mode: value.extract.mode,
              ...(value.extract.cursorColumn ? { cursorColumn: value.extract.cursorColumn } : {}),
              partitions: value.extract.partitions,
            },
          }
        : task,
    ),
  };
}
