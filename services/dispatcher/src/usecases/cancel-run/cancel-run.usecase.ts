import { Injectable } from '@nestjs/common';
import { Messages } from '@aoe/contracts';
import { Store } from '@aoe/store';
import { ActiveRuns } from '../../executor/active-runs';
import { RunReporter } from '../../executor/run-reporter';
import { CANCEL_MARKER } from '../../ids';
import { CancelRunCommand } from './cancel-run.command';

export type CancelRunResult =
  /** The run was executing on this replica and is being stopped. */
  | 'aborted'
  /** It had not started: it is cancelled now. */
  | 'cancelled'
  /** It runs on another replica (or has not been requested yet): the request is recorded and acted on there. */
  | 'requested'
  /** It had already ended. */
  | 'finished';

/**
 * Cancels a run. The request is recorded in the store (inbox key
 * `dispatcher.cancel` / run id) so that whichever replica executes the run
 * sees it within `AOE_CANCEL_POLL_MS`; a run executing here is aborted at
 * once. The abort reaches the engine, whose sink commits in one transaction:
 * the target is left as it was.
 */
@Injectable()
export class CancelRunUseCase {
  constructor(
    private readonly store: Store,
    private readonly active: ActiveRuns,
    private readonly reporter: RunReporter,
  ) {}

  async execute(input: CancelRunCommand): Promise<CancelRunResult> {
    const command = CancelRunCommand.parse(input);
    await this.store.inbox.recordOnce(CANCEL_MARKER, command.runId, Messages.RunCancelRequested.subject);
    if (this.active.cancel(command.runId, command.reason)) return 'aborted';

    const run = await this.store.runs.get(command.runId);
    if (!run) return 'requested';
    if (run.status === 'running') return 'requested';
    const scope = {
      runId: run.id,
      pipelineId: run.pipelineId,
      correlationId: command.correlationId,
      causationId: command.messageId,
    };
    if (run.status !== 'queued') {
      // A repeat of the request that cancelled it may be here because its event never went out.
      if (run.status === 'cancelled') await this.reporter.republishEnd(run, scope);
      return 'finished';
    }

    const error = {
      class: 'unknown' as const,
      message: `cancelled: ${command.reason}`,
      code: 'CANCELLED',
      retryable: false,
    };
    const change = await this.store.runs.updateStatus(run.id, 'cancelled', { error });
    if (!change.applied) return change.run.status === 'running' ? 'requested' : 'finished';
    for (const task of (await this.store.taskRuns.listByRun(run.id, { limit: 500 })).items) {
      await this.reporter.taskSettled(scope, task.taskId, task.attempt, 'cancelled');
    }
    await this.reporter.runEvent(scope, 'cancelled', 1, { error, at: change.run.finishedAt });
    return 'cancelled';
  }
}
