import { z } from 'zod';
import { DEFAULT_DETECTION, type DetectionOptions } from './detection/finding';

export interface WebhookSettings {
  /** Where alerts are POSTed; undefined: no webhook. */
  url?: string;
  /** Deliveries tried in all (the first included). */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

const Environment = z.object({
  AOE_ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  AOE_ALERT_WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  AOE_ALERT_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  /** Runs of history before anything is judged. */
  AOE_MONITOR_MIN_HISTORY: z.coerce.number().int().min(3).default(DEFAULT_DETECTION.minHistory),
  /** How often the freshness check runs; 0 turns it off. */
  AOE_MONITOR_FRESHNESS_CHECK_MS: z.coerce.number().int().min(0).default(60_000),
});

/** How the monitor judges and where it sends alerts; read from the environment once, injectable by class. */
export class MonitorConfig {
  constructor(
    readonly detection: DetectionOptions = DEFAULT_DETECTION,
    readonly webhook: WebhookSettings = { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 5_000, timeoutMs: 5_000 },
    readonly freshnessCheckMs = 60_000,
    /** Runs of history the detectors read. */
    readonly historyRuns = 60,
  ) {}

  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): MonitorConfig {
    const parsed = Environment.safeParse(env);
    if (!parsed.success) {
      // The issue names the variable only: a webhook URL may carry a token.
      throw new Error(
        `invalid monitor environment: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`,
      );
    }
    const e = parsed.data;
    return new MonitorConfig(
      { ...DEFAULT_DETECTION, minHistory: e.AOE_MONITOR_MIN_HISTORY },
      {
        url: e.AOE_ALERT_WEBHOOK_URL,
        maxAttempts: e.AOE_ALERT_WEBHOOK_ATTEMPTS,
        initialDelayMs: 200,
        maxDelayMs: 5_000,
        timeoutMs: e.AOE_ALERT_WEBHOOK_TIMEOUT_MS,
      },
      e.AOE_MONITOR_FRESHNESS_CHECK_MS,
    );
  }
}
