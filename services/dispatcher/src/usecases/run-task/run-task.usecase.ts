import { Injectable } from '@nestjs/common';
import { Store } from '@aoe/store';
import { chainOf } from '../../executor/chains';
import { ChainRunner, type ChainOutcome } from '../../executor/chain-runner';
import { RunTaskCommand } from './run-task.command';

/** The worker was asked for something that does not exist: nothing ran. */
export class WorkerInputError extends Error {
  override readonly name = 'WorkerInputError';
}

export type RunTaskResult =
  | ({ kind: 'ran' } & ChainOutcome)
  /** The task is fused into the chain of `loadTaskId`, which runs it. */
  | { kind: 'fused'; loadTaskId: string };

/**
 * What an Airflow task calls (`aoe worker run-task --run --task`): runs the
 * chain that ends in one load task of a run's plan with the engine, and
 * reports it like the embedded executor does (task runs in the store, task
 * events on the bus). A retry is the next attempt; the sink's load ledger
 * makes a repeated load of the same run and task write nothing twice. The
 * run's own status is its executor's business, not the worker's.
 */
@Injectable()
export class RunTaskUseCase {
  constructor(
    private readonly store: Store,
    private readonly chains: ChainRunner,
  ) {}

  async execute(input: RunTaskCommand, signal?: AbortSignal): Promise<RunTaskResult> {
    const command = RunTaskCommand.parse(input);
    const run = await this.store.runs.get(command.runId);
    if (!run) throw new WorkerInputError(`run "${command.runId}" does not exist`);
    if (run.planVersion === undefined) throw new WorkerInputError(`run "${run.id}" has no plan version`);
    const planVersion = await this.store.plans.get(run.pipelineId, run.planVersion);
    if (!planVersion)
      throw new WorkerInputError(`plan version ${run.planVersion} of pipeline "${run.pipelineId}" does not exist`);
    const plan = planVersion.plan;
    const chain = chainOf(plan, command.taskId);
    if (!chain) {
      const known = plan.tasks.some((t) => t.id === command.taskId);
      throw new WorkerInputError(
        known
          ? `task "${command.taskId}" feeds no load task`
          : `the plan of run "${run.id}" has no task "${command.taskId}"`,
      );
    }
    if (chain.loadTaskId !== command.taskId) return { kind: 'fused', loadTaskId: chain.loadTaskId };
    const source = await this.store.sources.get(plan.sourceId);
    if (!source) throw new WorkerInputError(`source "${plan.sourceId}" is not registered`);

    const previous = await this.store.taskRuns.get(run.id, command.taskId);
    const attempt = !previous || previous.status === 'queued' ? (previous?.attempt ?? 1) : previous.attempt + 1;
    const outcome = await this.chains.run({
      scope: { runId: run.id, pipelineId: run.pipelineId, correlationId: run.id },
      attempt,
      plan,
      chain,
      source: source.spec,
      signal,
    });
    return { kind: 'ran', ...outcome };
  }
}
