/** DAG run states, the same in Airflow 2 and 3. */
export const DAG_RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;
export type DagRunState = (typeof DAG_RUN_STATES)[number];

/** Task instance states (a task instance with no state yet has `null`). */
export const TASK_INSTANCE_STATES = [
  'removed',
  'scheduled',
  'queued',
  'running',
  'success',
  'restarting',
  'failed',
  'up_for_retry',
  'up_for_reschedule',
  'upstream_failed',
  'skipped',
  'deferred',
] as const;
export type TaskInstanceState = (typeof TASK_INSTANCE_STATES)[number];

export type AirflowApiVersion = 'v2' | 'v1';

export interface AirflowDag {
  dagId: string;
  isPaused: boolean;
}

/** A DAG with what shows which file version Airflow parsed: the factory copies each spec's description into its DAG. */
export interface AirflowDagInfo extends AirflowDag {
  description: string | null;
  lastParsedTime: string | null;
}

/** The states a DAG run can be set to through the API (`DAGRunPatchStates` / `UpdateDagRunState`). */
export const DAG_RUN_PATCH_STATES = ['queued', 'success', 'failed'] as const;
export type DagRunPatchState = (typeof DAG_RUN_PATCH_STATES)[number];

export interface AirflowDagRun {
  dagId: string;
  dagRunId: string;
  state: DagRunState;
  logicalDate: string | null;
  startDate: string | null;
  endDate: string | null;
  conf: Record<string, unknown>;
}

export interface AirflowTaskInstance {
  taskId: string;
  /** -1 for a task that is not mapped. */
  mapIndex: number;
  state: TaskInstanceState | null;
  tryNumber: number;
  startDate: string | null;
  endDate: string | null;
}

export interface ClearedTaskInstance {
  taskId: string;
  dagRunId: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface TriggerDagRunOptions extends RequestOptions {
  /** The run's `conf`; the DAG factory's tasks read `conf.run_id`. */
  conf?: Record<string, unknown>;
  /** Airflow's run id; Airflow generates one when absent. */
  dagRunId?: string;
  /** ISO 8601 date-time; absent or null = none (Airflow 3) / now (Airflow 2). */
  logicalDate?: string | null;
  note?: string;
}

export interface ClearTaskInstancesOptions extends RequestOptions {
  /** Only these tasks (still only the failed ones); all failed tasks of the run when absent or empty. */
  taskIds?: readonly string[];
}

/** Exponential backoff between polls: reset to `initialMs` whenever something changed. */
export interface PollBackoff {
  initialMs: number;
  factor: number;
  maxMs: number;
}

export const DEFAULT_POLL_BACKOFF: PollBackoff = { initialMs: 1_000, factor: 1.5, maxMs: 15_000 };

export interface DagRunUpdate {
  run: AirflowDagRun;
  taskInstances: AirflowTaskInstance[];
  /** Task instances whose state or try number changed since the previous update (all of them the first time). */
  changed: AirflowTaskInstance[];
}

export interface FollowDagRunOptions extends RequestOptions {
  /** Called whenever the run's state or a task instance's state or try changed. */
  onUpdate?: (update: DagRunUpdate) => void | Promise<void>;
  backoff?: Partial<PollBackoff>;
  /** Transient errors (network, 429, 5xx) tolerated in a row before giving up; default 5. */
  maxConsecutiveErrors?: number;
}

export interface FollowDagRunResult {
  run: AirflowDagRun;
  taskInstances: AirflowTaskInstance[];
}

/**
 * What the dispatcher needs from Airflow: one interface, implemented for the
 * Airflow 3 REST API (`/api/v2`, JWT) and the Airflow 2 stable API (`/api/v1`, basic auth).
 * Failures are typed (`AirflowAuthError`, `AirflowForbiddenError`, `AirflowNotFoundError`,
 * `AirflowConflictError`, `AirflowValidationError`, `AirflowUnavailableError`, ...).
 */
export interface AirflowClient {
  readonly apiVersion: AirflowApiVersion;
  getDag(dagId: string, options?: RequestOptions): Promise<AirflowDag>;
  /** `getDag` plus the DAG's description and when Airflow last parsed it. */
  getDagInfo(dagId: string, options?: RequestOptions): Promise<AirflowDagInfo>;
  pauseDag(dagId: string, options?: RequestOptions): Promise<AirflowDag>;
  unpauseDag(dagId: string, options?: RequestOptions): Promise<AirflowDag>;
  triggerDagRun(dagId: string, options?: TriggerDagRunOptions): Promise<AirflowDagRun>;
  getDagRun(dagId: string, dagRunId: string, options?: RequestOptions): Promise<AirflowDagRun>;
  /**
   * `PATCH` the run's state (exactly `{"state": ...}`). `failed` is how a run is stopped: Airflow
   * fails its running task instances (their processes are terminated) and skips the ones not started.
   */
  setDagRunState(
    dagId: string,
    dagRunId: string,
    state: DagRunPatchState,
    options?: RequestOptions,
  ): Promise<AirflowDagRun>;
  listTaskInstances(dagId: string, dagRunId: string, options?: RequestOptions): Promise<AirflowTaskInstance[]>;
  /** Clears the run's failed (and upstream-failed) task instances so Airflow runs them again. */
  clearFailedTaskInstances(
    dagId: string,
    dagRunId: string,
    options?: ClearTaskInstancesOptions,
  ): Promise<ClearedTaskInstance[]>;
  /** Polls until the run is `success` or `failed`; rejects with the signal's reason when aborted. */
  followDagRun(dagId: string, dagRunId: string, options?: FollowDagRunOptions): Promise<FollowDagRunResult>;
}

export function isTerminalDagRunState(state: DagRunState): boolean {
  return state === 'success' || state === 'failed';
}
