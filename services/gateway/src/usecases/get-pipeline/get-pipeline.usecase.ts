import { Injectable } from '@nestjs/common';
import type { AgentDecision } from '@aoe/contracts';
import { NotFoundError, Store, type PipelineRecord, type PlanVersionRecord } from '@aoe/store';
import { GetPipelineCommand } from './get-pipeline.command';

export interface PipelineDetail extends PipelineRecord {
  /** The current plan (or the newest draft before one is activated). */
  plan: Omit<PlanVersionRecord, 'pipelineId'> | null;
  /** The newest agent decisions about the pipeline: why it looks as it does. */
  decisions: AgentDecision[];
}

const DECISIONS_SHOWN = 50;

@Injectable()
export class GetPipelineUseCase {
  constructor(private readonly store: Store) {}

  async execute(input: GetPipelineCommand): Promise<PipelineDetail> {
    const { id } = GetPipelineCommand.parse(input);
    const pipeline = await this.store.pipelines.get(id);
    if (!pipeline || pipeline.status === 'deleted') throw new NotFoundError('pipeline', id);
    const [plan, decisions] = await Promise.all([
      pipeline.currentPlanVersion === undefined
        ? this.store.plans.latest(id)
        : this.store.plans.get(id, pipeline.currentPlanVersion),
      this.store.decisions.list({ subjectId: id, limit: DECISIONS_SHOWN }),
    ]);
    return {
      ...pipeline,
      plan: plan
        ? { version: plan.version, createdBy: plan.createdBy, createdAt: plan.createdAt, plan: plan.plan }
        : null,
      decisions: decisions.items,
    };
  }
}
