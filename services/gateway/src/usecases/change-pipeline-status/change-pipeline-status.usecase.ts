import { Injectable } from '@nestjs/common';
import { NotFoundError, Store, type PipelineRecord, type PipelineStatus } from '@aoe/store';
import { ChangePipelineStatusCommand } from './change-pipeline-status.command';

const TARGET: Record<ChangePipelineStatusCommand['action'], PipelineStatus> = {
  pause: 'paused',
  resume: 'active',
  delete: 'deleted',
};

/** Pause, resume, or delete (softly: the row and its runs stay, lists leave it out). Repeating one is a no-op. */
@Injectable()
export class ChangePipelineStatusUseCase {
  constructor(private readonly store: Store) {}

  async execute(input: ChangePipelineStatusCommand): Promise<PipelineRecord> {
    const command = ChangePipelineStatusCommand.parse(input);
    const current = await this.store.pipelines.get(command.id);
    if (!current || current.status === 'deleted') throw new NotFoundError('pipeline', command.id);
    const status = TARGET[command.action];
    if (current.status === status) return current;
    const updated = await this.store.pipelines.updateStatus(command.id, status);
    if (!updated) throw new NotFoundError('pipeline', command.id);
    return updated;
  }
}
