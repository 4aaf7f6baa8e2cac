import type { PipelinePlan } from '@aoe/contracts';
import type { TaskRunRecord } from '@aoe/store';
import { renderDagSpec, type AirflowTaskInstance } from '../airflow';
import { runError, statsFromTaskRuns, taskFailures, tasksNotRun, unfinishedLoads } from './airflow-outcome';

const plan: PipelinePlan = {
  pipelineId: 'orders',
  sourceId: 'src',
  version: 1,
  target: { kind: 'postgres', connection: { url: 'postgres://db/x' }, table: { schema: 'public', name: 'orders' } },
  policy: { maskPii: false, schemaEvolution: 'additive' },
  tasks: [
    { id: 'extract', kind: 'extract', dependsOn: [], params: { mode: 'full', partitions: 1 } },
    { id: 'load', kind: 'load', dependsOn: ['extract'], params: { mode: 'append', schemaEvolution: 'additive' } },
    { id: 'extract-2', kind: 'extract', dependsOn: ['load'], params: { mode: 'full', partitions: 1 } },
    { id: 'load-2', kind: 'load', dependsOn: ['extract-2'], params: { mode: 'append', schemaEvolution: 'additive' } },
  ],
  settings: { batchSize: 1000, readParallelism: 1, loadConcurrency: 1 },
  createdBy: 'rules',
  createdAt: '2025-01-01T00:00:00.000Z',
};
const spec = renderDagSpec(plan);

function ti(taskId: string, state: AirflowTaskInstance['state'], tryNumber = 1): AirflowTaskInstance {
  return { taskId, mapIndex: -1, state, tryNumber, startDate: null, endDate: null };
}

function taskRun(taskId: string, status: TaskRunRecord['status'], extra: Partial<TaskRunRecord> = {}): TaskRunRecord {
  return { runId: 'r', taskId, status, attempt: 1, ...extra };
}

const missingFile = { class: 'unknown' as const, message: 'no file matches "x.csv"', retryable: true };

describe('the outcome of a DAG run', () => {
  it('takes a failed load task’s error from the chain task its worker recorded it on', () => {
    const failures = taskFailures(
      plan,
      spec,
      [
        ti('extract', 'success'),
        ti('load', 'failed'),
        ti('extract-2', 'upstream_failed'),
        ti('load-2', 'upstream_failed'),
      ],
      [taskRun('extract', 'failed', { error: missingFile }), taskRun('load', 'cancelled'), taskRun('load-2', 'queued')],
    );
    expect(failures).toEqual([
      { airflowTaskId: 'load', planTaskId: 'load', reportedOn: 'extract', error: missingFile },
    ]);
    expect(runError(failures)).toEqual({ ...missingFile, message: 'task "extract": no file matches "x.csv"' });
    expect(tasksNotRun(spec, [ti('load-2', 'upstream_failed'), ti('load', 'failed')])).toEqual(['load-2']);
  });

  it('says Airflow failed a task when no worker recorded why', () => {
    const failures = taskFailures(plan, spec, [ti('extract', 'failed', 2)], [taskRun('extract', 'queued')]);
    expect(failures).toEqual([
      {
        airflowTaskId: 'extract',
        planTaskId: 'extract',
        error: {
          class: 'unknown',
          code: 'airflow.task-failed',
          message:
            'Airflow failed task instance "extract" (try 2) and its worker recorded no error: see the task\'s log in Airflow',
          retryable: true,
        },
      },
    ]);
    expect(runError(failures)!.message).toMatch(/^task "extract": Airflow failed task instance "extract"/);
    expect(runError([])).toBeUndefined();
  });

  it('counts rows from the task runs, and a load not recorded done keeps the run from succeeding', () => {
    const runs = [
      taskRun('extract', 'succeeded', { rows: 10, bytes: 100 }),
      taskRun('load', 'succeeded', { rows: 10, bytes: 80 }),
      taskRun('extract-2', 'succeeded', { rows: 5, bytes: 50 }),
      taskRun('load-2', 'running', { rows: 3 }),
    ];
    expect(statsFromTaskRuns(plan, runs, 42)).toEqual({
      rowsRead: 15,
      rowsLoaded: 10,
      rowsQuarantined: 0,
      bytes: 150,
      durationMs: 42,
    });
    expect(unfinishedLoads(plan, runs)).toEqual(['load-2']);
    expect(unfinishedLoads(plan, [...runs.slice(0, 3), taskRun('load-2', 'succeeded')])).toEqual([]);
  });
});
