/**
 * How much of a source the profiler reads. Sampling stops at whichever bound
 * comes first, so a 10M-row table or a 1 GB file costs about as much as a small one.
 */
export interface ProfileLimits {
  /** Rows sampled at most (default 10,000). */
  maxRows: number;
  /** Source bytes read at most while sampling (default 8 MiB; compressed bytes for gzip). */
  maxBytes: number;
  /** Sampling stops after this long with what it has (default 10 s). */
  maxSampleMs: number;
  /** Rows per batch asked of the connector while sampling. */
  batchSize: number;
}

export const DEFAULT_PROFILE_LIMITS: ProfileLimits = {
  maxRows: 10_000,
  maxBytes: 8 * 1024 * 1024,
  maxSampleMs: 10_000,
  batchSize: 500,
};

/** The limits with `overrides` applied; every bound at least 1. */
export function profileLimits(overrides: Partial<ProfileLimits> = {}): ProfileLimits {
  const limits = { ...DEFAULT_PROFILE_LIMITS, ...overrides };
  return {
    maxRows: Math.max(1, Math.floor(limits.maxRows)),
    maxBytes: Math.max(1, Math.floor(limits.maxBytes)),
    maxSampleMs: Math.max(1, limits.maxSampleMs),
    batchSize: Math.max(1, Math.floor(Math.min(limits.batchSize, limits.maxRows))),
  };
}

/** Bounds from `AOE_PROFILE_MAX_ROWS`, `AOE_PROFILE_MAX_BYTES` and `AOE_PROFILE_MAX_SAMPLE_MS`, where set. */
export function profileLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ProfileLimits> {
  const limits: Partial<ProfileLimits> = {};
  const read = (name: string): number | undefined => {
    const value = Number(env[name]);
    return env[name] !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const maxRows = read('AOE_PROFILE_MAX_ROWS');
  const maxBytes = read('AOE_PROFILE_MAX_BYTES');
  const maxSampleMs = read('AOE_PROFILE_MAX_SAMPLE_MS');
  if (maxRows) limits.maxRows = maxRows;
  if (maxBytes) limits.maxBytes = maxBytes;
  if (maxSampleMs) limits.maxSampleMs = maxSampleMs;
  return limits;
}
