import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Messages } from '@aoe/contracts';
import { BUS, type Bus } from '@aoe/messaging';
import { ConflictError, NotFoundError, Store } from '@aoe/store';
import { StartRunCommand } from './start-run.command';

export interface RunAccepted {
  runId: string;
  pipelineId: string;
  status: 'requested';
  messageId: string;
}

/** Asks the dispatcher for a run (aoe.cmd.run.requested) under a new run id; the dispatcher records it. */
@Injectable()
export class StartRunUseCase {
  constructor(
    private readonly store: Store,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  async execute(input: StartRunCommand): Promise<RunAccepted> {
    const command = StartRunCommand.parse(input);
    const pipeline = await this.store.pipelines.get(command.pipelineId);
    if (!pipeline || pipeline.status === 'deleted') throw new NotFoundError('pipeline', command.pipelineId);
    if (pipeline.status === 'paused') throw new ConflictError(`pipeline "${pipeline.id}" is paused; resume it first`);
    const runId = randomUUID();
    const { envelope } = await this.bus.publish(
      Messages.RunRequested,
      {
        runId,
        pipelineId: pipeline.id,
        ...(command.planVersion ? { planVersion: command.planVersion } : {}),
        trigger: 'api',
        requestedBy: command.requestedBy,
      },
      // The run id is the correlation id of everything the run causes.
      { correlationId: runId, causationId: command.correlationId },
    );
    return { runId, pipelineId: pipeline.id, status: 'requested', messageId: envelope.id };
  }
}
