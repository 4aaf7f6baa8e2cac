import { createHash } from 'node:crypto';
import { z } from 'zod';
import { dagProblems, Id, IsoDateTime, type PipelinePlan } from '@aoe/contracts';

/** Bumped when the DAG-spec shape changes; `deploy/airflow/dags/aoe_dag_factory.py` refuses versions it does not know. */
export const DAG_SPEC_VERSION = 1;

/** The `conf` key every AOE-triggered DAG run carries: the platform's run id. */
export const RUN_ID_CONF_KEY = 'run_id';

/** Jinja that Airflow renders into the worker's `--run` argument. */
export const RUN_ID_TEMPLATE = `{{ dag_run.conf['${RUN_ID_CONF_KEY}'] }}`;

/** Airflow's key rule for DAG and task ids (`airflow.utils.helpers.KEY_REGEX`, at most 250 characters). */
const AIRFLOW_KEY = /^[A-Za-z0-9_.-]{1,250}$/;
/** A DAG id also names its spec file, which must not be hidden (`.x.json` is skipped by the factory's glob). */
const DAG_ID = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,249}$/;

export const DagSpecTask = z.strictObject({
  /** Airflow task id: the plan task id, or a sanitised form of it when the plan id is not a valid Airflow key. */
  task_id: z.string().regex(AIRFLOW_KEY),
  /** The plan's task id, as passed to the worker. */
  plan_task_id: Id,
  kind: z.enum(['extract', 'transform', 'validate', 'load']),
  /** Airflow task ids this task waits for. */
  upstream: z.array(z.string().regex(AIRFLOW_KEY)),
  /** argv of the worker; elements may hold Airflow Jinja (`{{ ... }}`). */
  command: z.array(z.string().min(1)).min(1),
});
export type DagSpecTask = z.infer<typeof DagSpecTask>;

/**
 * What the DAG factory reads: one JSON file per DAG, named `<dag_id>.json`.
 * docs/airflow.md documents every field.
 */
export const DagSpec = z
  .strictObject({
    spec_version: z.literal(DAG_SPEC_VERSION),
    dag_id: z.string().regex(DAG_ID),
    description: z.string(),
    /** Cron expression or Airflow preset; null = runs only when the dispatcher triggers them. */
    schedule: z.string().min(1).nullable(),
    start_date: IsoDateTime,
    max_active_runs: z.number().int().min(1),
    retries: z.number().int().min(0),
    tags: z.array(z.string().min(1).max(100)),
    pipeline_id: Id,
    plan_version: z.number().int().min(1),
    tasks: z.array(DagSpecTask).min(1),
  })
  .superRefine((spec, ctx) => {
    const tasks = spec.tasks.map((task) => ({ id: task.task_id, dependsOn: task.upstream }));
    for (const problem of dagProblems(tasks)) ctx.addIssue({ code: 'custom', path: ['tasks'], message: problem });
  });
export type DagSpec = z.infer<typeof DagSpec>;

export interface RenderDagSpecOptions {
  /** Prepended to the pipeline id to form the DAG id; default `aoe__`. */
  dagIdPrefix?: string;
  /** The worker executable (and any leading arguments); default `['aoe']`. */
  workerCommand?: readonly string[];
  /**
   * Airflow-side schedule; default null. Every run needs `conf.run_id`, which only a
   * run triggered by the dispatcher carries, so scheduling stays with the dispatcher
   * unless the deployment's worker handles runs without one.
   */
  schedule?: string | null;
  /** Extra DAG tags (after `aoe` and `pipeline:<id>`). */
  tags?: readonly string[];
  /** Default 1: runs of one pipeline never overlap. */
  maxActiveRuns?: number;
  /** Airflow-side retries per task; default 0, because the recovery agent decides retries. */
  retries?: number;
}

/** Returns `raw` when it is a valid Airflow key, otherwise a readable sanitised form with a hash suffix (stable, collision-safe). */
export function airflowKey(raw: string): string {
  if (AIRFLOW_KEY.test(raw)) return raw;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 8);
  const base = raw.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 240);
  return `${base}_${hash}`;
}

/** The DAG id of a pipeline: `aoe__<pipelineId>` (or another prefix), sanitised when it is not a valid Airflow key. */
export function dagIdFor(pipelineId: string, prefix = 'aoe__'): string {
  return airflowKey(`${prefix}${pipelineId}`);
}

/** Turns a plan into the DAG spec the factory reads. The result is validated; an invalid prefix or command throws. */
export function renderDagSpec(plan: PipelinePlan, options: RenderDagSpecOptions = {}): DagSpec {
  const worker = options.workerCommand ?? ['aoe'];
  const taskIds = new Map(plan.tasks.map((task) => [task.id, airflowKey(task.id)]));
  const airflowId = (planTaskId: string): string => taskIds.get(planTaskId) ?? airflowKey(planTaskId);
  const tags = ['aoe', `pipeline:${plan.pipelineId}`, ...(options.tags ?? [])].map((tag) => tag.slice(0, 100));
  return DagSpec.parse({
    spec_version: DAG_SPEC_VERSION,
    dag_id: dagIdFor(plan.pipelineId, options.dagIdPrefix),
    description: `AOE pipeline ${plan.pipelineId}, plan v${plan.version} (source ${plan.sourceId})`,
    schedule: options.schedule ?? null,
    start_date: plan.createdAt,
    max_active_runs: options.maxActiveRuns ?? 1,
    retries: options.retries ?? 0,
    tags: [...new Set(tags)],
    pipeline_id: plan.pipelineId,
    plan_version: plan.version,
    tasks: plan.tasks.map((task) => ({
      task_id: airflowId(task.id),
      plan_task_id: task.id,
      kind: task.kind,
      upstream: task.dependsOn.map(airflowId),
      command: [...worker, 'worker', 'run-task', '--run', RUN_ID_TEMPLATE, '--task', task.id],
    })),
  });
}

/** The `conf` to trigger a run of a rendered DAG with. */
export function dagRunConf(runId: string): Record<string, unknown> {
  return { [RUN_ID_CONF_KEY]: runId };
}

/** Airflow task id → plan task id, to report Airflow's task-instance states against the plan. */
export function planTaskIds(spec: DagSpec): Map<string, string> {
  return new Map(spec.tasks.map((task) => [task.task_id, task.plan_task_id]));
}
