import { Inject, Injectable } from '@nestjs/common';
import { Messages, type ClassifiedError, type RunStats, type TaskEvent } from '@aoe/contracts';
import { BUS, type Bus } from '@aoe/messaging';
import { Store, TERMINAL_RUN_STATUSES, type Clock, type RunRecord, type TaskRunStatus } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';
import { CLOCK } from '@aoe/service-kit';
import { eventId } from '../ids';
import { currentAttempt } from './current-attempt';

/** Which run an event belongs to, and the message that caused it. */
export interface RunScope {
  runId: string;
  pipelineId: string;
  /** The envelope correlation id: the run id. */
  correlationId: string;
  causationId?: string;
}

export type RunEnd = 'succeeded' | 'failed' | 'cancelled';

export interface TaskEventDetail {
  rows?: number;
  bytes?: number;
  error?: ClassifiedError;
}

const RUN_EVENT = {
  started: Messages.RunStarted,
  succeeded: Messages.RunSucceeded,
  failed: Messages.RunFailed,
  cancelled: Messages.RunCancelled,
} as const;

const TASK_EVENT = {
  started: Messages.TaskStarted,
  progress: Messages.TaskProgress,
  succeeded: Messages.TaskSucceeded,
  failed: Messages.TaskFailed,
} as const;

/**
 * Says what happened to a run and its tasks, in the store first and then on
 * the bus. Lifecycle events carry an id derived from (run, task, attempt,
 * status), so a replayed fact is one message; progress events are throttled
 * by the caller and carry rows and bytes so far.
 */
@Injectable()
export class RunReporter {
  constructor(
    private readonly store: Store,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly telemetry: Telemetry,
  ) {}

  async runEvent(
    scope: RunScope,
    status: 'started' | RunEnd,
    attempt: number,
    detail: { stats?: RunStats; error?: ClassifiedError; at?: string } = {},
  ): Promise<void> {
    await this.bus.publish(
      RUN_EVENT[status],
      {
        runId: scope.runId,
        pipelineId: scope.pipelineId,
        status,
        at: detail.at ?? this.clock.now().toISOString(),
        ...(detail.stats ? { stats: detail.stats } : {}),
        ...(detail.error ? { error: detail.error } : {}),
      },
      {
        correlationId: scope.correlationId,
        causationId: scope.causationId,
        id: eventId('run', scope.runId, attempt, status),
      },
    );
  }

  /**
   * Publishes a finished run's end event again, exactly as it first went out (same derived id, `at`,
   * stats and error). The end is stored before its event is published, so a dispatcher that died, or a
   * bus that was down, between the two leaves a finished run without its event; the command that ended
   * it comes back unacknowledged and calls this. Without it the monitor would never record the run and
   * recovery never see its failure. Where the first copy did go out, the bus's duplicate window drops
   * this one, and the monitor and recovery recognise a repeat anyway.
   */
  async republishEnd(run: RunRecord, scope: RunScope): Promise<void> {
    if (!TERMINAL_RUN_STATUSES.includes(run.status)) return;
    await this.runEvent(scope, run.status as RunEnd, await currentAttempt(this.store, run.id), {
      stats: run.stats,
      error: run.error,
      at: run.finishedAt,
    });
  }

  /** Records a task event in the store (late and repeated ones are ignored there) and publishes it. */
  async taskEvent(
    scope: RunScope,
    taskId: string,
    attempt: number,
    status: TaskEvent['status'],
    detail: TaskEventDetail = {},
  ): Promise<void> {
    await this.taskEvents(scope, attempt, status, [{ taskId, ...detail }]);
  }

  /**
   * Several tasks' events: all recorded in the store first (issued together: one
   * round trip to an embedded store), then published in the order given.
   */
  async taskEvents(
    scope: RunScope,
    attempt: number,
    status: TaskEvent['status'],
    tasks: ReadonlyArray<{ taskId: string } & TaskEventDetail>,
  ): Promise<void> {
    const events = tasks.map(({ taskId, ...detail }) => this.taskEventOf(scope, taskId, attempt, status, detail));
    await Promise.all(events.map((event) => this.store.taskRuns.applyEvent(event)));
    for (const event of events) {
      await this.bus.publish(TASK_EVENT[status], event, {
        correlationId: scope.correlationId,
        causationId: scope.causationId,
        ...(status === 'progress' ? {} : { id: eventId('task', scope.runId, event.taskId, attempt, status) }),
      });
    }
  }

  private taskEventOf(
    scope: RunScope,
    taskId: string,
    attempt: number,
    status: TaskEvent['status'],
    detail: TaskEventDetail,
  ): TaskEvent {
    return {
      runId: scope.runId,
      pipelineId: scope.pipelineId,
      taskId,
      status,
      attempt,
      at: this.clock.now().toISOString(),
      ...(detail.rows !== undefined ? { rows: detail.rows } : {}),
      ...(detail.bytes !== undefined ? { bytes: detail.bytes } : {}),
      ...(detail.error ? { error: detail.error } : {}),
    };
  }

  /** A task that ends without running: cancelled with its run, or skipped because what it needs failed. Store only. */
  async taskSettled(
    scope: RunScope,
    taskId: string,
    attempt: number,
    status: Extract<TaskRunStatus, 'cancelled' | 'skipped'>,
  ): Promise<void> {
    await this.store.taskRuns.upsert({ runId: scope.runId, taskId, status, attempt });
  }

  /** Progress reports of one task, sent in order without holding up the load; `flush()` waits for them. */
  progressChannel(
    scope: RunScope,
    taskId: string,
    attempt: number,
  ): { report(rows: number, bytes: number): void; flush(): Promise<void> } {
    let tail: Promise<void> = Promise.resolve();
    return {
      report: (rows, bytes) => {
        tail = tail
          .then(() => this.taskEvent(scope, taskId, attempt, 'progress', { rows, bytes }))
          .catch((error: unknown) => {
            this.telemetry.logger.warn({ err: error, runId: scope.runId, taskId }, 'a progress report was lost');
          });
      },
      flush: () => tail,
    };
  }
}
