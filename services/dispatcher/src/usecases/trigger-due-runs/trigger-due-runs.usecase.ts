import { Inject, Injectable } from '@nestjs/common';
import { Messages } from '@aoe/contracts';
import { BUS, type Bus } from '@aoe/messaging';
import { Store, type PipelineRecord } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';
import { eventId, scheduledRunId } from '../../ids';
import { latestTick } from '../../schedule/cron';

export interface TriggerDueRunsCommand {
  /** The window of cron ticks this call covers: (after, upTo]. */
  after: Date;
  upTo: Date;
}

/**
 * Requests a run for every active pipeline with a schedule whose latest cron
 * tick falls in the window (only the latest: a stopped scheduler does not fire
 * a backlog). Every replica computes the same run id and envelope id from
 * (pipeline, tick), so the bus drops the repeats and the store's run key
 * refuses what gets through: one run per tick however many replicas schedule.
 * A pipeline with a run still queued or running is left for the next tick.
 */
@Injectable()
export class TriggerDueRunsUseCase {
  constructor(
    private readonly store: Store,
    @Inject(BUS) private readonly bus: Bus,
    private readonly telemetry: Telemetry,
  ) {}

  async execute(command: TriggerDueRunsCommand): Promise<string[]> {
    const requested: string[] = [];
    for await (const pipeline of this.scheduledPipelines()) {
      let tick: Date | undefined;
      try {
        tick = latestTick(pipeline.schedule!, command.after, command.upTo);
      } catch (error) {
        this.telemetry.logger.warn({ pipelineId: pipeline.id, err: error }, `invalid schedule "${pipeline.schedule}"`);
        continue;
      }
      if (!tick) continue;
      const runId = scheduledRunId(pipeline.id, tick);
      const busy = await this.store.runs.list({ pipelineId: pipeline.id, status: ['queued', 'running'], limit: 1 });
      if (busy.items.some((run) => run.id !== runId)) {
        this.telemetry.logger.info({ pipelineId: pipeline.id, tick }, 'skipping a scheduled run: one is still active');
        continue;
      }
      await this.bus.publish(
        Messages.RunRequested,
        { runId, pipelineId: pipeline.id, trigger: 'schedule', requestedBy: 'dispatcher-scheduler' },
        { correlationId: runId, id: eventId('run.requested', runId) },
      );
      requested.push(runId);
    }
    return requested;
  }

  private async *scheduledPipelines(): AsyncGenerator<PipelineRecord> {
    let cursor: string | undefined;
    do {
      const page = await this.store.pipelines.list({ status: 'active', limit: 500, cursor });
      for (const pipeline of page.items) {
        if (pipeline.schedule && pipeline.currentPlanVersion !== undefined) yield pipeline;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
}
