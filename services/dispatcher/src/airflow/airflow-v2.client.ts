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

const DagResponse = z.object({
  dag_id: z.string(),
  is_paused: z.boolean(),
  // Required by the specification; read leniently, as only the executor's wait needs them.
  description: z.string().nullable().optional(),
  last_parsed_time: z.string().nullable().optional(),
});

const DagRunResponse = z.object({
  dag_id: z.string(),
  dag_run_id: z.string(),
  state: z.enum(DAG_RUN_STATES),
  logical_date: z.string().nullable(),
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
  conf: z.record(z.string(), z.unknown()).nullable(),
});

const TaskInstanceResponse = z.object({
  task_id: z.string(),
  dag_run_id: z.string(),
  map_index: z.number().int(),
  state: z.enum(TASK_INSTANCE_STATES).nullable(),
  try_number: z.number().int(),
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
});

const TaskInstanceCollectionResponse = z.object({
  task_instances: z.array(TaskInstanceResponse),
  total_entries: z.number().int(),
});

/**
 * Airflow 3 REST API (`/api/v2`), authenticated with a JWT from `POST /auth/token`.
 * Request bodies follow the published schemas exactly: `DAGPatchBody`,
 * `TriggerDAGRunPostBody` (with an explicit `"logical_date": null`) and
 * `ClearTaskInstancesBody` (with `"dry_run": false`).
 */
export class AirflowV2Client extends AirflowRestClient {
  readonly apiVersion = 'v2' as const;
  protected readonly apiPrefix = '/api/v2' as const;
  protected readonly dagRunSchema = DagRunResponse.transform(toDagRun);
  protected readonly taskInstancePageSchema = TaskInstanceCollectionResponse.transform((page): TaskInstancePage => ({
    items: page.task_instances.map(toTaskInstance),
    total: page.total_entries,
  }));

  async getDagInfo(dagId: string, options: RequestOptions = {}): Promise<AirflowDagInfo> {
    const dag = await this.call({ method: 'GET', path: this.dagPath(dagId), signal: options.signal }, DagResponse);
    return {
      dagId: dag.dag_id,
      isPaused: dag.is_paused,
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
    const body: Record<string, unknown> = { logical_date: options.logicalDate ?? null, conf: options.conf ?? {} };
    if (options.dagRunId !== undefined) body.dag_run_id = options.dagRunId;
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
      TaskInstanceCollectionResponse,
    );
    return cleared.task_instances.map((ti) => ({ taskId: ti.task_id, dagRunId: ti.dag_run_id }));
  }

  private async setPaused(dagId: string, isPaused: boolean, options: RequestOptions): Promise<AirflowDag> {
    const dag = await this.call(
      { method: 'PATCH', path: this.dagPath(dagId), body: { is_paused: isPaused }, signal: options.signal },
      DagResponse,
    );
    return { dagId: dag.dag_id, isPaused: dag.is_paused };
  }
}

function toDagRun(run: z.infer<typeof DagRunResponse>): AirflowDagRun {
  return {
    dagId: run.dag_id,
    dagRunId: run.dag_run_id,
    state: run.state,
    logicalDate: run.logical_date,
    startDate: run.start_date,
    endDate: run.end_date,
    conf: run.conf ?? {},
  };
}

function toTaskInstance(ti: z.infer<typeof TaskInstanceResponse>): AirflowTaskInstance {
  return {
    taskId: ti.task_id,
    mapIndex: ti.map_index,
    state: ti.state,
    tryNumber: ti.try_number,
    startDate: ti.start_date,
    endDate: ti.end_date,
  };
}
