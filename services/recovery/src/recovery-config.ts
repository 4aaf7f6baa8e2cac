import { z } from 'zod';

/** The bounds every recovery decision stays inside (docs/recovery.md, "Settings"). */
export interface RecoverySettings {
  /** Attempts of one run in all (the first included); past it the pipeline is paused with an alert. */
  maxAttempts: number;
  /** Backoff: a delay drawn from [0, min(maxDelayMs, baseDelayMs × 2^(attempt−1))] (full jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The backoff base after a rate limit (the source asked us to slow down). */
  rateLimitBaseDelayMs: number;
  /** Source-side failures within the window that open the source's circuit. */
  circuitFailures: number;
  circuitWindowMs: number;
  /** How long a circuit stays open the first time; doubled at each trip up to the max. */
  circuitCooldownMs: number;
  circuitMaxCooldownMs: number;
  /** Shrinking stops here: below it a resource failure pauses the pipeline. */
  minBatchSize: number;
  /** Whether a validation failure may be retried with its bad rows quarantined. */
  quarantineOnDataQuality: boolean;
}

export const DEFAULT_RECOVERY_SETTINGS: RecoverySettings = {
  maxAttempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  rateLimitBaseDelayMs: 5_000,
  circuitFailures: 3,
  circuitWindowMs: 300_000,
  circuitCooldownMs: 30_000,
  circuitMaxCooldownMs: 600_000,
  minBatchSize: 100,
  quarantineOnDataQuality: true,
};

const d = DEFAULT_RECOVERY_SETTINGS;
const ms = (fallback: number) => z.coerce.number().int().min(0).max(3_600_000).default(fallback);
const Environment = z.object({
  AOE_RECOVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(d.maxAttempts),
  AOE_RECOVERY_BASE_DELAY_MS: ms(d.baseDelayMs),
  AOE_RECOVERY_MAX_DELAY_MS: ms(d.maxDelayMs),
  AOE_RECOVERY_RATE_LIMIT_DELAY_MS: ms(d.rateLimitBaseDelayMs),
  AOE_RECOVERY_CIRCUIT_FAILURES: z.coerce.number().int().min(1).max(100).default(d.circuitFailures),
  AOE_RECOVERY_CIRCUIT_WINDOW_MS: ms(d.circuitWindowMs),
  AOE_RECOVERY_CIRCUIT_COOLDOWN_MS: ms(d.circuitCooldownMs),
  AOE_RECOVERY_CIRCUIT_MAX_COOLDOWN_MS: ms(d.circuitMaxCooldownMs),
  AOE_RECOVERY_MIN_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000_000).default(d.minBatchSize),
  AOE_RECOVERY_QUARANTINE: z.enum(['true', 'false']).default('true'),
  AOE_RECOVERY_CLAIM_LEASE_MS: z.coerce.number().int().min(1_000).max(600_000).default(45_000),
});

/** Recovery's settings, read from the environment once; injectable by class. */
export class RecoveryConfig {
  constructor(
    readonly settings: RecoverySettings = DEFAULT_RECOVERY_SETTINGS,
    /** An undecided claim older than this belongs to a replica that died: another takes it over. */
    readonly claimLeaseMs = 45_000,
  ) {}

  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): RecoveryConfig {
    const parsed = Environment.safeParse(env);
    if (!parsed.success) {
      throw new Error(
        `invalid recovery environment: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`,
      );
    }
    const e = parsed.data;
    return new RecoveryConfig(
      {
        maxAttempts: e.AOE_RECOVERY_MAX_ATTEMPTS,
        baseDelayMs: e.AOE_RECOVERY_BASE_DELAY_MS,
        maxDelayMs: Math.max(e.AOE_RECOVERY_MAX_DELAY_MS, e.AOE_RECOVERY_BASE_DELAY_MS),
        rateLimitBaseDelayMs: e.AOE_RECOVERY_RATE_LIMIT_DELAY_MS,
        circuitFailures: e.AOE_RECOVERY_CIRCUIT_FAILURES,
        circuitWindowMs: e.AOE_RECOVERY_CIRCUIT_WINDOW_MS,
        circuitCooldownMs: e.AOE_RECOVERY_CIRCUIT_COOLDOWN_MS,
        circuitMaxCooldownMs: Math.max(e.AOE_RECOVERY_CIRCUIT_MAX_COOLDOWN_MS, e.AOE_RECOVERY_CIRCUIT_COOLDOWN_MS),
        minBatchSize: e.AOE_RECOVERY_MIN_BATCH_SIZE,
        quarantineOnDataQuality: e.AOE_RECOVERY_QUARANTINE === 'true',
      },
      e.AOE_RECOVERY_CLAIM_LEASE_MS,
    );
  }
}
