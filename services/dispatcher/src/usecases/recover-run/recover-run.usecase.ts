import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { NonRetryableError } from '@aoe/messaging';
import { CLOCK } from '@aoe/service-kit';
import { Store, type Clock, type RunRecord } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';
import { DispatcherStopping } from '../../executor/active-runs';
import { currentAttempt } from '../../executor/current-attempt';
import { SERVICE } from '../../ids';
import { StartRunUseCase, type StartRunHooks } from '../start-run/start-run.usecase';
import { RecoverRunCommand } from './recover-run.command';

/** The inbox key under which a recovery command is recorded once it reopened its run. */
export const RECOVERY_INBOX = `${SERVICE}.recovery`;

const HEARTBEAT_MS = 5_000;

export type RecoverRunResult =
  | { status: 'ran'; run: RunRecord }
  /** The run is not the failed attempt the command is about (finished, cancelled, or already past it). */
  | { status: 'stale'; run: RunRecord };

/**
 * aoe.cmd.recovery.retry: once the delay has passed, the failed run moves back
 * to running (once per command: inbox and reopen in one transaction) and the
 * start-run use case resumes it: load tasks an earlier attempt finished are
 * not run again, the others run with the next attempt and the overrides. A
 * redelivery after the reopen finds the run running and resumes it again.
 */
@Injectable()
export class RecoverRunUseCase implements BeforeApplicationShutdown {
  private readonly stopping = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly startRun: StartRunUseCase,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly telemetry: Telemetry,
  ) {}

  async execute(input: RecoverRunCommand, hooks: StartRunHooks = {}): Promise<RecoverRunResult> {
    const command = RecoverRunCommand.parse(input);
    const run = await this.store.runs.get(command.runId);
    if (!run) throw new NonRetryableError(`run "${command.runId}" does not exist`);
    if (run.pipelineId !== command.pipelineId) {
      throw new NonRetryableError(
        `run "${run.id}" belongs to pipeline "${run.pipelineId}", not "${command.pipelineId}"`,
      );
    }
    await this.waitUntil(Date.parse(command.publishedAt) + command.delayMs, hooks);

    const reopened = await this.store.transaction(async (tx) => {
      if (!(await tx.inbox.recordOnce(RECOVERY_INBOX, command.messageId, 'aoe.cmd.recovery.retry'))) return false;
      const current = await tx.runs.get(command.runId);
      if (current?.status !== 'failed') return false;
      if ((await currentAttempt(tx, command.runId)) !== command.attempt) return false;
      return (await tx.runs.reopen(command.runId)) !== undefined;
    });
    const current = (await this.store.runs.get(command.runId))!;
    if (current.status !== 'running') return { status: 'stale', run: current };
    if (reopened) {
      this.telemetry.logger.info(
        { runId: current.id, action: command.action, attempt: command.attempt, decisionId: command.decisionId },
        'recovery: running the failed run again',
      );
    }
    const ended = await this.startRun.execute(
      {
        runId: command.runId,
        pipelineId: command.pipelineId,
        trigger: 'recovery',
        messageId: command.messageId,
        correlationId: command.correlationId,
      },
      {
        ...hooks,
        overrides: {
          ...(command.batchSize ? { batchSize: command.batchSize } : {}),
          ...(command.onBadRows ? { onBadRows: command.onBadRows } : {}),
        },
      },
    );
    return { status: 'ran', run: ended };
  }

  beforeApplicationShutdown(): void {
    this.stopping.abort(new DispatcherStopping());
  }

  /** Sleeps until `due`, telling the bus it is still working; a shutdown hands the command back. */
  private async waitUntil(due: number, hooks: StartRunHooks): Promise<void> {
    for (;;) {
      const left = due - this.clock.now().getTime();
      if (left <= 0) return;
      try {
        await sleep(Math.min(left, HEARTBEAT_MS), undefined, { signal: this.stopping.signal });
      } catch {
        throw this.stopping.signal.reason;
      }
      hooks.heartbeat?.();
    }
  }
}
