import { warehouseDirFor } from '@aoe/connectors';
import { z } from 'zod';

const DispatcherEnvironment = z.object({
  /** How often the scheduler looks for due cron ticks (ms); 0 turns it off. */
  AOE_SCHEDULER_INTERVAL_MS: z.coerce.number().int().min(0).default(15_000),
  /** How often a run on this replica checks whether another replica was asked to cancel it (ms). */
  AOE_CANCEL_POLL_MS: z.coerce.number().int().min(10).default(1_000),
  /** At most one task progress event per task per interval (ms). */
  AOE_PROGRESS_INTERVAL_MS: z.coerce.number().int().min(10).default(1_000),
  /** Chains of one run executed at once, whatever the plan asks (the plan's loadConcurrency is the other bound). */
  AOE_MAX_PARALLEL_CHAINS: z.coerce.number().int().min(1).max(64).default(4),
  /** Runs one replica executes at once. */
  AOE_MAX_CONCURRENT_RUNS: z.coerce.number().int().min(1).max(64).default(4),
  AOE_WAREHOUSE_DIR: z.string().optional(),
  AOE_HOME: z.string().optional(),
});

export interface DispatcherSettings {
  schedulerIntervalMs: number;
  cancelPollMs: number;
  progressIntervalMs: number;
  maxParallelChains: number;
  maxConcurrentRuns: number;
  /** Where `warehouse` targets live. */
  warehouseDir: string;
}

/** The dispatcher's settings, from the environment (both modes). Provided by `DispatcherConfig.fromEnv`. */
export class DispatcherConfig implements DispatcherSettings {
  readonly schedulerIntervalMs: number;
  readonly cancelPollMs: number;
  readonly progressIntervalMs: number;
  readonly maxParallelChains: number;
  readonly maxConcurrentRuns: number;
  readonly warehouseDir: string;

  constructor(settings: DispatcherSettings) {
    this.schedulerIntervalMs = settings.schedulerIntervalMs;
    this.cancelPollMs = settings.cancelPollMs;
    this.progressIntervalMs = settings.progressIntervalMs;
    this.maxParallelChains = settings.maxParallelChains;
    this.maxConcurrentRuns = settings.maxConcurrentRuns;
    this.warehouseDir = settings.warehouseDir;
  }

  static fromEnv(source: NodeJS.ProcessEnv = process.env): DispatcherConfig {
    const parsed = DispatcherEnvironment.safeParse(source);
    if (!parsed.success) {
      throw new Error(
        `invalid dispatcher environment: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`,
      );
    }
    const env = parsed.data;
    return new DispatcherConfig({
      schedulerIntervalMs: env.AOE_SCHEDULER_INTERVAL_MS,
      cancelPollMs: env.AOE_CANCEL_POLL_MS,
      progressIntervalMs: env.AOE_PROGRESS_INTERVAL_MS,
      maxParallelChains: env.AOE_MAX_PARALLEL_CHAINS,
      maxConcurrentRuns: env.AOE_MAX_CONCURRENT_RUNS,
      warehouseDir: warehouseDirFor(source),
    });
  }
}
