import { Injectable } from '@nestjs/common';
import { NotFoundError, Store, type PipelineRecord } from '@aoe/store';
import { SchedulePipelineCommand } from './schedule-pipeline.command';

/** Sets (or clears) a pipeline's cron schedule; the dispatcher's scheduler reads it from the store. */
@Injectable()
export class SchedulePipelineUseCase {
  constructor(private readonly store: Store) {}

  async execute(input: SchedulePipelineCommand): Promise<PipelineRecord> {
    const command = SchedulePipelineCommand.parse(input);
    const current = await this.store.pipelines.get(command.id);
    if (!current || current.status === 'deleted') throw new NotFoundError('pipeline', command.id);
    const updated = await this.store.pipelines.setSchedule(command.id, command.schedule);
    if (!updated) throw new NotFoundError('pipeline', command.id);
    return updated;
  }
}
