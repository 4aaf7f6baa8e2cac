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
