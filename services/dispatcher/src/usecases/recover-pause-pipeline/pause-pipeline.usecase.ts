import { Injectable } from '@nestjs/common';
import { NonRetryableError } from '@aoe/messaging';
import { Store, type PipelineRecord } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';
import { PausePipelineCommand } from './pause-pipeline.command';

/**
 * aoe.cmd.recovery.pause-pipeline: an active pipeline becomes paused, so its
 * schedule stops until a person resumes it (the gateway's resume).
 * A paused or deleted pipeline is left as it is.
 */
@Injectable()
export class PausePipelineUseCase {
  constructor(
    private readonly store: Store,
    private readonly telemetry: Telemetry,
  ) {}

  async execute(input: PausePipelineCommand): Promise<PipelineRecord> {
    const command = PausePipelineCommand.parse(input);
    const pipeline = await this.store.pipelines.get(command.pipelineId);
    if (!pipeline) throw new NonRetryableError(`pipeline "${command.pipelineId}" does not exist`);
    if (pipeline.status !== 'active') return pipeline;
    const paused = (await this.store.pipelines.updateStatus(pipeline.id, 'paused')) ?? pipeline;
    this.telemetry.logger.warn(
      { pipelineId: pipeline.id, runId: command.runId, decisionId: command.decisionId, reason: command.reason },
      'recovery paused the pipeline',
    );
    return paused;
  }
}
