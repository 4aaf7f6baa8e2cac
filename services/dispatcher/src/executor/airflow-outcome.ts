import type { ClassifiedError, PipelinePlan, RunStats } from '@aoe/contracts';
import { RETRYABLE_BY_CLASS } from '@aoe/engine';
import type { TaskRunRecord } from '@aoe/store';
import { planTaskIds, type AirflowTaskInstance, type DagSpec } from '../airflow';
import { chainOf } from './chains';

/** A task instance Airflow failed, and why. */
export interface TaskFailure {
  airflowTaskId: string;
  planTaskId: string;
  /** The task run the worker recorded the failure on (a task of the chain), when it recorded one. */
  reportedOn?: string;
  error: ClassifiedError;
}

/** Task instance states in which Airflow will not run a task for this DAG run any more without a clear. */
const NOT_RUN: ReadonlySet<string> = new Set(['upstream_failed', 'skipped', 'removed']);

/**
 * Why each failed task instance failed. A load task's worker runs the whole chain
 * and records the failure on the chain's task that caused it (often the extract):
 * that error counts. When the worker recorded none (it could not start, could not
 * reach the store, or Airflow stopped it), Airflow's word is all there is.
 */
export function taskFailures(
  plan: PipelinePlan,
  spec: DagSpec,
  taskInstances: readonly AirflowTaskInstance[],
  taskRuns: readonly TaskRunRecord[],
): TaskFailure[] {
  const toPlan = planTaskIds(spec);
  const byTask = new Map(taskRuns.map((t) => [t.taskId, t]));
  const failures: TaskFailure[] = [];
  for (const ti of taskInstances) {
    if (ti.state !== 'failed') continue;
    const planTaskId = toPlan.get(ti.taskId) ?? ti.taskId;
    const chain = chainOf(plan, planTaskId);
    const reported =
      chain?.loadTaskId === planTaskId
        ? chain.taskIds.map((id) => byTask.get(id)).find((t) => t?.status === 'failed' && t.error)
        : undefined;
    failures.push(
      reported
        ? { airflowTaskId: ti.taskId, planTaskId, reportedOn: reported.taskId, error: reported.error! }
        : { airflowTaskId: ti.taskId, planTaskId, error: unreportedFailure(ti) },
    );
  }
  return failures;
}

/** Airflow failed a task and no worker said why (class unknown: retryable as the shared table says). */
export function unreportedFailure(ti: AirflowTaskInstance): ClassifiedError {
  return {
    class: 'unknown',
    code: 'airflow.task-failed',
    message:
      `Airflow failed task instance "${ti.taskId}" (try ${ti.tryNumber}) and its worker recorded no error: ` +
      `see the task's log in Airflow`,
    retryable: RETRYABLE_BY_CLASS.unknown,
  };
}

/** Plan tasks that Airflow will not run in this DAG run (their upstream failed, or they were skipped). */
export function tasksNotRun(spec: DagSpec, taskInstances: readonly AirflowTaskInstance[]): string[] {
  const toPlan = planTaskIds(spec);
  return taskInstances.filter((ti) => ti.state !== null && NOT_RUN.has(ti.state)).map((ti) => toPlan.get(ti.taskId)!);
}

/** The run's error from its failures: the first reported one, prefixed with its task, like the embedded executor's. */
export function runError(failures: readonly TaskFailure[]): ClassifiedError | undefined {
  const first = failures.find((f) => f.reportedOn !== undefined) ?? failures[0];
  if (!first) return undefined;
  return { ...first.error, message: `task "${first.reportedOn ?? first.planTaskId}": ${first.error.message}` };
}

/** Load tasks the worker did not record as succeeded: a run with any of them must not end succeeded. */
export function unfinishedLoads(plan: PipelinePlan, taskRuns: readonly TaskRunRecord[]): string[] {
  const status = new Map(taskRuns.map((t) => [t.taskId, t.status]));
  return plan.tasks.filter((t) => t.kind === 'load' && status.get(t.id) !== 'succeeded').map((t) => t.id);
}

/**
 * The run's stats from the task runs the workers recorded: rows and bytes read by the
 * extracts, rows loaded by the loads that succeeded. Quarantined rows are not on task
 * runs, so they are not counted here (the rows themselves are in the target's quarantine).
 */
export function statsFromTaskRuns(
  plan: PipelinePlan,
  taskRuns: readonly TaskRunRecord[],
  durationMs: number,
): RunStats {
  const kinds = new Map(plan.tasks.map((t) => [t.id, t.kind]));
  let rowsRead = 0;
  let rowsLoaded = 0;
  let bytes = 0;
  for (const task of taskRuns) {
    const kind = kinds.get(task.taskId);
    if (kind === 'extract') {
      rowsRead += task.rows ?? 0;
      bytes += task.bytes ?? 0;
    } else if (kind === 'load' && task.status === 'succeeded') {
      rowsLoaded += task.rows ?? 0;
    }
  }
  return { rowsRead, rowsLoaded, rowsQuarantined: 0, bytes, durationMs };
}
