import { isDeepStrictEqual } from 'node:util';
import { Inject, Injectable } from '@nestjs/common';
import type { ClassifiedError } from '@aoe/contracts';
import { Store, type TaskRunRecord } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';
import {
  AirflowConflictError,
  AirflowError,
  AirflowNotFoundError,
  classifyAirflowError,
  dagRunConf,
  renderDagSpec,
  RUN_ID_CONF_KEY,
  type AirflowClient,
  type DagRunUpdate,
  type DagSpec,
  type DagSpecStore,
  type FollowDagRunResult,
} from '../airflow';
import { sleep } from '../airflow/follow-dag-run';
import { DispatcherStopping } from './active-runs';
import { dagRunIdFor, retryFailedTasks, waitForDag, type DagRunRef } from './airflow-dag-run';
import { runError, statsFromTaskRuns, taskFailures, tasksNotRun, unfinishedLoads } from './airflow-outcome';
import type { AirflowExecutorSettings } from './airflow.settings';
import type { Executor, RunExecution, RunOutcome } from './executor';
import { RunReporter } from './run-reporter';

export const AIRFLOW_CLIENT = Symbol('aoe.dispatcher.airflow-client');
export const DAG_SPEC_STORE = Symbol('aoe.dispatcher.dag-spec-store');
export const AIRFLOW_EXECUTOR_SETTINGS = Symbol('aoe.dispatcher.airflow-executor-settings');

/** The executor's settings plus where specs go, as the messages name it. */
export interface AirflowExecutorOptions extends AirflowExecutorSettings {
  specLocation: string;
}

/**
 * Runs a plan on Airflow: renders it as a DAG spec into the DAG-spec store, waits
 * until Airflow has loaded that version of the DAG, unpauses it, triggers one DAG
 * run per platform run (`conf.run_id`), and follows it. Its tasks run the worker
 * (`aoe worker run-task`), which records task runs and publishes task events like
 * the embedded executor does; the outcome is read back from those task runs.
 * Failed tasks whose errors are all retryable are cleared (Airflow runs them again)
 * up to `maxClears` times. A cancel marks the DAG run failed in Airflow, which
 * stops its running tasks; a dispatcher that stops leaves the DAG run alone, and
 * the replica that resumes the run follows it again.
 */
@Injectable()
export class AirflowExecutor implements Executor {
  readonly name = 'airflow';

  constructor(
    @Inject(AIRFLOW_CLIENT) private readonly airflow: AirflowClient,
    @Inject(DAG_SPEC_STORE) private readonly specs: DagSpecStore,
    @Inject(AIRFLOW_EXECUTOR_SETTINGS) private readonly settings: AirflowExecutorOptions,
    private readonly store: Store,
    private readonly reporter: RunReporter,
    private readonly telemetry: Telemetry,
  ) {}

  async execute(execution: RunExecution): Promise<RunOutcome> {
    const started = Date.now();
    const { plan, run, signal } = execution;
    const spec = renderDagSpec(plan, { workerCommand: this.settings.workerCommand });
    const ref: DagRunRef = { dagId: spec.dag_id, dagRunId: dagRunIdFor(run.id) };
    let triggering = false;
    try {
      await this.publish(spec);
      const dag = await waitForDag(this.airflow, spec, {
        timeoutMs: this.settings.dagLoadTimeoutMs,
        intervalMs: this.settings.pollMs,
        specLocation: this.settings.specLocation,
        signal,
      });
      if (dag.isPaused) await this.airflow.unpauseDag(spec.dag_id, { signal });
      triggering = true;
      await this.trigger(ref, run.id, signal);
      const ended = await this.follow(execution, spec, ref);
      return await this.outcome(execution, spec, ended, started);
    } catch (error) {
      if (signal.aborted) return this.stopped(execution, ref, triggering, started);
      if (!(error instanceof AirflowError)) throw error;
      // The run ends failed here; Airflow is asked (best effort) not to go on loading behind its back.
      if (triggering) await this.failDagRun(ref, execution.run.id);
      return this.ended(execution, 'failed', classifyAirflowError(error), started);
    }
  }

  /** Writes the spec unless the store already holds exactly it (a rewrite would make Airflow parse it again). */
  private async publish(spec: DagSpec): Promise<void> {
    const current = await this.specs.get(spec.dag_id).catch(() => undefined);
    if (!isDeepStrictEqual(current, spec)) await this.specs.put(spec);
  }

  private async trigger(ref: DagRunRef, runId: string, signal: AbortSignal): Promise<void> {
    try {
      await this.airflow.triggerDagRun(ref.dagId, { dagRunId: ref.dagRunId, conf: dagRunConf(runId), signal });
    } catch (error) {
      // A resumed run: the DAG run it triggered before its dispatcher stopped is followed again.
      if (!(error instanceof AirflowConflictError)) throw error;
      const existing = await this.airflow.getDagRun(ref.dagId, ref.dagRunId, { signal });
      if (existing.conf[RUN_ID_CONF_KEY] !== runId) throw error;
    }
  }

  /** Follows the DAG run to its end, clearing failed tasks while every failure is retryable and clears are left. */
  private async follow(execution: RunExecution, spec: DagSpec, ref: DagRunRef): Promise<FollowDagRunResult> {
    const { signal } = execution;
    const backoff = { initialMs: this.settings.pollMs, factor: 1.5, maxMs: this.settings.pollMs * 15 };
    for (let clears = 0; ; clears += 1) {
      const result = await this.airflow.followDagRun(ref.dagId, ref.dagRunId, {
        signal,
        backoff,
        onUpdate: (update) => this.logUpdate(execution, update),
      });
      if (result.run.state === 'success' || clears >= this.settings.maxClears) return result;
      const failures = taskFailures(execution.plan, spec, result.taskInstances, await this.taskRuns(execution));
      if (failures.length === 0 || failures.some((f) => !f.error.retryable)) return result;
      this.telemetry.logger.info(
        { runId: execution.run.id, ...ref, tasks: failures.map((f) => f.airflowTaskId), clear: clears + 1 },
        'clearing failed Airflow tasks: every failure is retryable',
      );
      await sleep(this.settings.retryDelayMs * 2 ** clears, signal);
      await retryFailedTasks(this.airflow, ref, signal);
    }
  }

  /** What the workers recorded, completed with what only Airflow knows (tasks it failed or never ran). */
  private async outcome(
    execution: RunExecution,
    spec: DagSpec,
    ended: FollowDagRunResult,
    started: number,
  ): Promise<RunOutcome> {
    const { scope, plan } = execution;
    let taskRuns = await this.taskRuns(execution);
    const failures = taskFailures(plan, spec, ended.taskInstances, taskRuns);
    const byTask = new Map(taskRuns.map((t) => [t.taskId, t]));
    for (const failure of failures.filter((f) => f.reportedOn === undefined)) {
      // A task run the worker ended (cancelled when Airflow stopped it) keeps what the worker said.
      const task = byTask.get(failure.planTaskId);
      if (task && task.status !== 'queued' && task.status !== 'running') continue;
      await this.reporter.taskEvent(scope, failure.planTaskId, task?.attempt ?? 1, 'failed', { error: failure.error });
    }
    for (const taskId of tasksNotRun(spec, ended.taskInstances)) {
      const task = byTask.get(taskId);
      if (task?.status === 'queued') await this.reporter.taskSettled(scope, taskId, task.attempt, 'skipped');
    }
    taskRuns = await this.taskRuns(execution);

    if (ended.run.state === 'success') {
      const missing = unfinishedLoads(plan, taskRuns);
      if (missing.length === 0) return this.ended(execution, 'succeeded', undefined, started, taskRuns);
      return this.ended(
        execution,
        'failed',
        {
          class: 'bug',
          code: 'airflow.unreported',
          message: `Airflow ended DAG run "${ended.run.dagRunId}" successfully, but no worker recorded load task(s) ${missing.map((id) => `"${id}"`).join(', ')} as done`,
          retryable: false,
        },
        started,
        taskRuns,
      );
    }
    const error = runError(failures) ?? {
      class: 'unknown' as const,
      code: 'airflow.dag-run-failed',
      message: `Airflow ended DAG run "${ended.run.dagRunId}" failed with no failed task (it was marked failed in Airflow)`,
      retryable: false,
    };
    return this.ended(execution, 'failed', error, started, taskRuns);
  }

  /** Cancelled: Airflow stops the DAG run's tasks. A stopping dispatcher leaves it running for the next replica. */
  private async stopped(
    execution: RunExecution,
    ref: DagRunRef,
    triggering: boolean,
    started: number,
  ): Promise<RunOutcome> {
    const reason: unknown = execution.signal.reason;
    if (!(reason instanceof DispatcherStopping)) {
      if (triggering) await this.failDagRun(ref, execution.run.id);
      for (const task of await this.taskRuns(execution)) {
        if (task.status === 'queued' || task.status === 'running') {
          await this.reporter.taskSettled(execution.scope, task.taskId, task.attempt, 'cancelled');
        }
      }
    }
    const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'cancelled';
    return this.ended(
      execution,
      'cancelled',
      { class: 'unknown', message: `cancelled: ${why}`, code: 'CANCELLED', retryable: false },
      started,
    );
  }

  /** PATCH the DAG run to failed: Airflow fails its running task instances (and stops them) and skips the rest. */
  private async failDagRun(ref: DagRunRef, runId: string): Promise<void> {
    try {
      // No signal: the run's is aborted already; the client's request timeout bounds the call.
      await this.airflow.setDagRunState(ref.dagId, ref.dagRunId, 'failed');
    } catch (error) {
      if (error instanceof AirflowNotFoundError) return; // never created: nothing runs
      this.telemetry.logger.warn({ err: error, runId, ...ref }, 'could not mark the Airflow DAG run failed');
    }
  }

  private async ended(
    execution: RunExecution,
    status: RunOutcome['status'],
    error: ClassifiedError | undefined,
    started: number,
    taskRuns?: TaskRunRecord[],
  ): Promise<RunOutcome> {
    const stats = statsFromTaskRuns(execution.plan, taskRuns ?? (await this.taskRuns(execution)), Date.now() - started);
    return {
      status,
      stats,
      ...(error ? { error } : {}),
      // The work ran on Airflow's workers: this process measured no CPU or memory of it.
      resources: { cpuSeconds: 0, peakMemoryBytes: 0, bytesMoved: stats.bytes },
    };
  }

  private async taskRuns(execution: RunExecution): Promise<TaskRunRecord[]> {
    return (await this.store.taskRuns.listByRun(execution.run.id, { limit: 500 })).items;
  }

  private logUpdate(execution: RunExecution, update: DagRunUpdate): void {
    this.telemetry.logger.debug(
      {
        runId: execution.run.id,
        dagRunId: update.run.dagRunId,
        state: update.run.state,
        tasks: update.changed.map((ti) => `${ti.taskId}:${ti.state ?? 'none'}#${ti.tryNumber}`),
      },
      'Airflow DAG run update',
    );
  }
}
