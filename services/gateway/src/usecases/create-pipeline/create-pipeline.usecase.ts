import { Inject, Injectable } from '@nestjs/common';
import { Messages } from '@aoe/contracts';
import { BUS, type Bus } from '@aoe/messaging';
import { NotFoundError, Store, type PipelineRecord } from '@aoe/store';
import { CreatePipelineCommand } from './create-pipeline.command';

/**
 * Stores a pipeline from a source to a target and asks for the source's
 * analysis with the pipeline attached, so the planner continues with it.
 */
@Injectable()
export class CreatePipelineUseCase {
  constructor(
    private readonly store: Store,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  async execute(input: CreatePipelineCommand): Promise<PipelineRecord> {
    const command = CreatePipelineCommand.parse(input);
    const source = await this.store.sources.get(command.sourceId);
    if (!source) throw new NotFoundError('source', command.sourceId);
    const pipeline = await this.store.pipelines.create({
      sourceId: source.id,
      name: command.name ?? `${source.name} pipeline`,
      target: command.target,
      policy: command.policy,
      schedule: command.schedule,
    });
    await this.bus.publish(
      Messages.AnalyzeSource,
      {
        sourceId: source.id,
        spec: source.spec,
        pipeline: { pipelineId: pipeline.id, target: pipeline.target, policy: pipeline.policy },
      },
      { correlationId: command.correlationId },
    );
    return pipeline;
  }
}
