import { Injectable } from '@nestjs/common';
import type { PipelinePlan } from '@aoe/contracts';
import { Store } from '@aoe/store';
import { SERVICE } from '../../ids';
import { cronProblem } from '../../schedule/cron';
import { ActivatePlanCommand } from './activate-plan.command';

/** The pipeline is not in the store yet (the planner's transaction may still be open): retried. */
export class PipelineNotReadyError extends Error {
  override readonly name = 'PipelineNotReadyError';
}

export type ActivatePlanResult = { status: 'activated'; version: number } | { status: 'duplicate' };

/** A plan's content, without what changes when the same plan is saved again. */
function contentOf(plan: PipelinePlan): string {
  const { createdAt: _createdAt, version: _version, ...content } = plan;
  return stableJson(content);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Makes an optimized plan the pipeline's current plan: stored as its version
 * (or as the next version when that number already holds a different plan,
 * such as the planner's draft), pointed at by the pipeline unless a newer
 * version is current already, and its schedule (if any) set on the pipeline
 * for the scheduler. Once per message.
 *
 * Activating a plan does not start a run: whoever wants one (the CLI after
 * `aoe ingest`, the scheduler, the API) sends `aoe.cmd.run.requested`.
 */
@Injectable()
export class ActivatePlanUseCase {
  constructor(private readonly store: Store) {}

  async execute(input: ActivatePlanCommand): Promise<ActivatePlanResult> {
    const { plan, messageId, subject } = ActivatePlanCommand.parse(input);
    return this.store.transaction(async (tx) => {
      // Issued together, sent in order: one round trip to an embedded store.
      const [fresh, pipeline, stored] = await Promise.all([
        tx.inbox.recordOnce(SERVICE, messageId, subject),
        tx.pipelines.get(plan.pipelineId),
        tx.plans.get(plan.pipelineId, plan.version),
      ]);
      if (!fresh) return { status: 'duplicate' } as const;
      if (!pipeline) throw new PipelineNotReadyError(`pipeline "${plan.pipelineId}" does not exist (yet)`);
      let version = plan.version;
      if (!stored) {
        await tx.plans.save(plan);
      } else if (contentOf(stored.plan) !== contentOf(plan)) {
        version = await tx.plans.nextVersion(plan.pipelineId);
        await tx.plans.save({ ...plan, version });
      }
      // Never back: a newer version may be current already (the CLI's `--mode` override of this very plan).
      if (pipeline.currentPlanVersion === undefined || version >= pipeline.currentPlanVersion) {
        await tx.pipelines.setCurrentPlanVersion(plan.pipelineId, version);
      }
      if (plan.schedule !== undefined && plan.schedule !== pipeline.schedule && !cronProblem(plan.schedule)) {
        await tx.pipelines.setSchedule(plan.pipelineId, plan.schedule);
      }
      return { status: 'activated', version } as const;
    });
  }
}
