import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Clock } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';
import { CLOCK } from '@aoe/service-kit';
import { DispatcherConfig } from '../dispatcher.config';
import { TriggerDueRunsUseCase } from '../usecases/trigger-due-runs/trigger-due-runs.usecase';

/**
 * Every `AOE_SCHEDULER_INTERVAL_MS`, asks for the runs whose cron ticks fell
 * since the last look. Every replica runs it; the run ids derived from
 * (pipeline, tick) make them agree on one run per tick.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private last: Date | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly triggerDueRuns: TriggerDueRunsUseCase,
    @Inject(DispatcherConfig) private readonly config: DispatcherConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly telemetry: Telemetry,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.schedulerIntervalMs <= 0) return;
    this.last = this.clock.now();
    this.timer = setInterval(() => void this.tick(), this.config.schedulerIntervalMs);
    this.timer.unref();
  }

  /** One look at the schedules: the ticks in (last look, now]. */
  async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    const upTo = this.clock.now();
    const after = this.last ?? new Date(upTo.getTime() - this.config.schedulerIntervalMs);
    this.running = this.triggerDueRuns
      .execute({ after, upTo })
      .then(() => {
        this.last = upTo;
      })
      .catch((error: unknown) => {
        // The window stays open: the next look covers these ticks too.
        this.telemetry.logger.warn({ err: error }, 'scheduling failed');
      })
      .finally(() => (this.running = undefined));
    await this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
