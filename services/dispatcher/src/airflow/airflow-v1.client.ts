import { z } from 'zod';
import {
  type AirflowDag,
  type AirflowDagInfo,
  type AirflowDagRun,
  type AirflowTaskInstance,
  type ClearedTaskInstance,
  type ClearTaskInstancesOptions,
  DAG_RUN_STATES,
  type RequestOptions,
  TASK_INSTANCE_STATES,
  type TriggerDagRunOptions,
} from './airflow.client';
import { AirflowRestClient, type TaskInstancePage } from './airflow-rest.client';

const Dag = z.object({
  dag_id: z.string(),
  is_paused: z.boolean().nullable(),
  description: z.string().nullable().optional(),
  last_parsed_time: z.string().nullable().optional(),
});

const DagRun = z.object({
  dag_id: z.string(),
  dag_run_id: z.string(),
  state: z.enum(DAG_RUN_STATES),
  logical_date: z.string().nullable().optional(),
  start_date: z.string().nullable().optional(),
  end_date: z.string().nullable().optional(),
  conf: z.record(z.string(), z.unknown()).nullable().optional(),
});

/** Airflow 2 still reports the deprecated `"none"`, which means no state (null). */
const TaskState = z
  .union([z.enum(TASK_INSTANCE_STATES), z.literal('none'), z.null()])
  .transform((state) => (state === 'none' ? null : state));

const TaskInstance = z.object({
  task_id: z.string(),
  map_index: z.number().int().default(-1),
  state: TaskState,
  try_number: z.number().int(),
  start_date: z.string().nullable().optional(),
  end_date: z.string().nullable().optional(),
});

const TaskInstanceCollection = z.object({
  task_instances: z.array(TaskInstance),
  total_entries: z.number().int(),
});

const TaskInstanceReferenceCollection = z.object({
  task_instances: z.array(z.object({ task_id: z.string(), dag_run_id: z.string() })),
});

/**
 * Airflow 2 stable REST API (`/api/v1`), HTTP basic auth. Errors are RFC 7807
 * problems; invalid requests answer 400.
 */
export class AirflowV1Client extends AirflowRestClient {
  readonly apiVersion = 'v1' as const;
  protected readonly apiPrefix = '/api/v1' as const;
  protected readonly dagRunSchema = DagRun.transform(toDagRun);
  protected readonly taskInstancePageSchema = TaskInstanceCollection.transform((page): TaskInstancePage => ({
    items: page.task_instances.map(toTaskInstance),
    total: page.total_entries,
  }));

  async getDagInfo(dagId: string, options: RequestOptions = {}): Promise<AirflowDagInfo> {
    const dag = await this.call({ method: 'GET', path: this.dagPath(dagId), signal: options.signal }, Dag);
    return {
      dagId: dag.dag_id,
      isPaused: dag.is_paused ?? false,
      description: dag.description ?? null,
      lastParsedTime: dag.last_parsed_time ?? null,
    };
  }

  pauseDag(dagId: string, options: RequestOptions = {}): Promise<AirflowDag> {
    return this.setPaused(dagId, true, options);
  }

  unpauseDag(dagId: string, options: RequestOptions = {}): Promise<AirflowDag> {
    return this.setPaused(dagId, false, options);
  }

  async triggerDagRun(dagId: string, options: TriggerDagRunOptions = {}): Promise<AirflowDagRun> {
    const body: Record<string, unknown> = { conf: options.conf ?? {} };
    if (options.dagRunId !== undefined) body.dag_run_id = options.dagRunId;
    if (typeof options.logicalDate === 'string') body.logical_date = options.logicalDate;
    if (options.note !== undefined) body.note = options.note;
    const run = await this.call(
      { method: 'POST', path: `${this.dagPath(dagId)}/dagRuns`, body, signal: options.signal },
      this.dagRunSchema,
    );
    return run;
  }

  async clearFailedTaskInstances(
    dagId: string,
    dagRunId: string,
    options: ClearTaskInstancesOptions = {},
  ): Promise<ClearedTaskInstance[]> {
    const body: Record<string, unknown> = {
      dry_run: false,
      only_failed: true,
      reset_dag_runs: true,
      dag_run_id: dagRunId,
    };
    if (options.taskIds !== undefined && options.taskIds.length > 0) body.task_ids = [...options.taskIds];
    const cleared = await this.call(
      { method: 'POST', path: `${this.dagPath(dagId)}/clearTaskInstances`, body, signal: options.signal },
      TaskInstanceReferenceCollection,
    );
    return cleared.task_instances.map((ti) => ({ taskId: ti.task_id, dagRunId: ti.dag_run_id }));
  }

  private async setPaused(dagId: string, isPaused: boolean, options: RequestOptions): Promise<AirflowDag> {
    const dag = await this.call(
      {
        method: 'PATCH',
        path: this.dagPath(dagId),
        query: { update_mask: 'is_paused' },
        body: { is_paused: isPaused },
        signal: options.signal,
      },
      Dag,
    );
    return { dagId: dag.dag_id, isPaused: dag.is_paused ?? isPaused };
  }
}

function toDagRun(run: z.infer<typeof DagRun>): AirflowDagRun {
  return {
    dagId: run.dag_id,
    dagRunId: run.dag_run_id,
    state: run.state,
    logicalDate: run.logical_date ?? null,
    startDate: run.start_date ?? null,
    endDate: run.end_date ?? null,
    conf: run.conf ?? {},
  };
}

function toTaskInstance(ti: z.infer<typeof TaskInstance>): AirflowTaskInstance {
  return {
    taskId: ti.task_id,
    mapIndex: ti.map_index,
    state: ti.state,
    tryNumber: ti.try_number,
    startDate: ti.start_date ?? null,
    endDate: ti.end_date ?? null,
  };
}
