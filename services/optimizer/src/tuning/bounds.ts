import type { RunSettings, SourceProfile } from '@aoe/contracts';

/**
 * The safe envelope every optimized plan stays inside, whatever the history
 * says: batch sizes, parallelism, and the memory one batch may hold.
 */
export const BOUNDS = {
  batchSize: { min: 1_000, max: 200_000 },
  readParallelism: { min: 1, max: 8 },
  loadConcurrency: { min: 1, max: 8 },
  /** Bytes one batch may hold in memory (batch size × row width). */
  batchMemoryBytes: 64 * 1024 ** 2,
} as const;

/** Batch sizes move in steps of this many rows (easier to read, fewer near-duplicate settings). */
export const BATCH_STEP = 1_000;

/** The bounds for one plan: the memory bound turns into a batch ceiling; sources limit parallel reads. */
export interface SettingsLimits {
  maxBatchSize: number;
  maxReadParallelism: number;
  maxLoadConcurrency: number;
}

export function settingsLimits(options: {
  rowBytes: number;
  kind?: SourceProfile['kind'];
  /** The extract is split by key ranges (a partitionable PostgreSQL table). */
  partitionable: boolean;
  /** A batch size that exhausted resources before: stay under it. */
  batchCeiling?: number;
}): SettingsLimits {
  const byMemory = Math.floor(BOUNDS.batchMemoryBytes / Math.max(1, options.rowBytes));
  const ceiling = options.batchCeiling ?? BOUNDS.batchSize.max;
  return {
    maxBatchSize: roundBatch(Math.min(byMemory, ceiling, BOUNDS.batchSize.max)),
    maxReadParallelism: readParallelismLimit(options.kind, options.partitionable),
    maxLoadConcurrency: BOUNDS.loadConcurrency.max,
  };
}

/**
 * PostgreSQL reads in parallel only by key-range partitions; an HTTP API is
 * read page after page; object stores read several objects at once.
 */
function readParallelismLimit(kind: SourceProfile['kind'] | undefined, partitionable: boolean): number {
  switch (kind) {
    case 'http-api':
      return 1;
    case 'postgres':
      return partitionable ? BOUNDS.readParallelism.max : 1;
    case 's3':
    case 'file':
      return BOUNDS.readParallelism.max;
    case undefined:
      return partitionable ? BOUNDS.readParallelism.max : 1;
  }
}

/** Down to a whole step, never below the minimum. */
export function roundBatch(rows: number): number {
  return Math.max(BOUNDS.batchSize.min, Math.floor(rows / BATCH_STEP) * BATCH_STEP);
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, Math.round(value)));

/** The nearest settings inside the limits. */
export function clampSettings(settings: RunSettings, limits: SettingsLimits): RunSettings {
  return {
    batchSize: Math.min(
      limits.maxBatchSize,
      roundBatch(clamp(settings.batchSize, BOUNDS.batchSize.min, BOUNDS.batchSize.max)),
    ),
    readParallelism: clamp(settings.readParallelism, BOUNDS.readParallelism.min, limits.maxReadParallelism),
    loadConcurrency: clamp(settings.loadConcurrency, BOUNDS.loadConcurrency.min, limits.maxLoadConcurrency),
  };
}

/** What puts settings outside the limits; empty when they are inside. */
export function boundsProblems(settings: RunSettings, limits: SettingsLimits): string[] {
  const problems: string[] = [];
  const { batchSize, readParallelism, loadConcurrency } = settings;
  if (!Number.isInteger(batchSize) || batchSize < BOUNDS.batchSize.min || batchSize > limits.maxBatchSize) {
    problems.push(`batchSize ${batchSize} is outside [${BOUNDS.batchSize.min}, ${limits.maxBatchSize}]`);
  }
  if (!Number.isInteger(readParallelism) || readParallelism < 1 || readParallelism > limits.maxReadParallelism) {
    problems.push(`readParallelism ${readParallelism} is outside [1, ${limits.maxReadParallelism}]`);
  }
  if (!Number.isInteger(loadConcurrency) || loadConcurrency < 1 || loadConcurrency > limits.maxLoadConcurrency) {
    problems.push(`loadConcurrency ${loadConcurrency} is outside [1, ${limits.maxLoadConcurrency}]`);
  }
  return problems;
}

export function settingsKey(settings: RunSettings): string {
  return `${settings.batchSize}/${settings.readParallelism}/${settings.loadConcurrency}`;
}
