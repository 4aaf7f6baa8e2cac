import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Telemetry } from '@aoe/telemetry';
import { MonitorConfig } from './monitor-config';
import { CheckFreshnessUseCase } from './usecases/check-freshness/check-freshness.usecase';

/**
 * Runs the freshness check every `AOE_MONITOR_FRESHNESS_CHECK_MS` (0: never).
 * It only hands off to the use case; a check that fails is logged and the
 * next one runs as planned. Checks never overlap.
 */
@Injectable()
export class FreshnessTimer implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly checkFreshness: CheckFreshnessUseCase,
    private readonly config: MonitorConfig,
    private readonly telemetry: Telemetry,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.freshnessCheckMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.config.freshnessCheckMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One check, unless the previous one is still running. */
  tick(): Promise<void> {
    this.running ??= this.checkFreshness
      .execute()
      .then(() => undefined)
      .catch((error: unknown) => {
        this.telemetry.logger.warn({ err: error }, 'freshness check failed');
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
