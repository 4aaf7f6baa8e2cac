import { Inject, Injectable } from '@nestjs/common';
import { Store, type Clock, type PipelineRecord } from '@aoe/store';
import { CLOCK } from '@aoe/service-kit';
import { detectFreshness } from '../../detection/freshness.detector';
import { expectedInterval } from '../../detection/interval';
import { MonitorConfig } from '../../monitor-config';
import { RaiseAlertUseCase, type RaiseAlertResult } from '../raise-alert/raise-alert.usecase';
import { CheckFreshnessCommand } from './check-freshness.command';

export interface CheckFreshnessResult {
  checked: number;
  alerts: RaiseAlertResult[];
}

/**
 * For each active pipeline: is its latest successful run older than its
 * expected interval (its schedule, or the median gap between its successful
 * runs) plus a tolerance, by the injected clock? Raises `freshness` once per
 * stale period (the alert names the last successful run).
 */
@Injectable()
export class CheckFreshnessUseCase {
  constructor(
    private readonly store: Store,
    private readonly raiseAlert: RaiseAlertUseCase,
    private readonly config: MonitorConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(input: CheckFreshnessCommand = {}): Promise<CheckFreshnessResult> {
    const command = CheckFreshnessCommand.parse(input);
    const now = this.clock.now();
    const alerts: RaiseAlertResult[] = [];
    let checked = 0;
    for await (const pipeline of this.pipelines(command.pipelineIds)) {
      checked++;
      const successes = (
        await this.store.runStats.list({
          pipelineId: pipeline.id,
          status: 'succeeded',
          limit: this.config.historyRuns,
        })
      ).items;
      const interval = expectedInterval(
        pipeline.schedule,
        successes.map((r) => r.finishedAt),
        now,
        this.config.detection.minHistory,
      );
      const finding = detectFreshness(pipeline.id, successes[0], interval, now, this.config.detection);
      if (finding) alerts.push(await this.raiseAlert.execute({ finding, correlationId: pipeline.id }));
    }
    return { checked, alerts };
  }

  private async *pipelines(ids: readonly string[] | undefined): AsyncGenerator<PipelineRecord> {
    if (ids) {
      for (const id of ids) {
        const pipeline = await this.store.pipelines.get(id);
        if (pipeline?.status === 'active') yield pipeline;
      }
      return;
    }
    let cursor: string | null = null;
    do {
      const page = await this.store.pipelines.list({ status: 'active', limit: 200, cursor });
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }
}
