import {
  AirflowDagNotLoadedError,
  AirflowError,
  AirflowNotFoundError,
  type AirflowClient,
  type AirflowDagInfo,
  type DagSpec,
} from '../airflow';
import { sleep } from '../airflow/follow-dag-run';

/** The Airflow DAG run that carries out one platform run. */
export interface DagRunRef {
  dagId: string;
  dagRunId: string;
}

/** One DAG run per platform run: a resumed run (its dispatcher stopped) finds the DAG run it triggered again. */
export function dagRunIdFor(runId: string): string {
  return `aoe__${runId}`;
}

export interface WaitForDagOptions {
  timeoutMs: number;
  /** Between polls. */
  intervalMs: number;
  /** Where the spec was written, for the error message. */
  specLocation: string;
  signal?: AbortSignal;
}

/**
 * Polls until Airflow serves the DAG as `spec` describes it. Airflow answers 404
 * until the DAG processor has parsed a new spec, and serves the previous parse of
 * a changed spec until it re-parses it (the factory copies the spec's description,
 * which names the plan version, into the DAG). Transient errors are polled through;
 * other errors end the wait. Past the deadline: `AirflowDagNotLoadedError`.
 */
export async function waitForDag(
  client: AirflowClient,
  spec: DagSpec,
  options: WaitForDagOptions,
): Promise<AirflowDagInfo> {
  const deadline = Date.now() + options.timeoutMs;
  let seen: 'nothing' | 'an older version' = 'nothing';
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const dag = await client.getDagInfo(spec.dag_id, { signal: options.signal });
      if (dag.description === spec.description) return dag;
      seen = 'an older version';
    } catch (error) {
      const waitable = error instanceof AirflowNotFoundError || (error instanceof AirflowError && error.retryable);
      if (!waitable) throw error;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const what = seen === 'nothing' ? 'answered 404 throughout' : 'still serves an older version of it';
      throw new AirflowDagNotLoadedError(
        `Airflow has not loaded DAG "${spec.dag_id}" (plan v${spec.plan_version}) within ${seconds(options.timeoutMs)} ` +
          `of its spec being written to ${options.specLocation}: it ${what}. Check that the DAG factory reads that ` +
          `location (AOE_DAG_SPEC_DIR of the DAG processor) and Airflow's DAG import errors`,
        { method: 'GET', path: `dags/${spec.dag_id}`, status: seen === 'nothing' ? 404 : 200 },
      );
    }
    await sleep(Math.min(options.intervalMs, left), options.signal);
  }
}

/**
 * "Retry the failed tasks" on Airflow: clears the DAG run's failed and upstream-failed
 * task instances (`dry_run: false`), so Airflow runs them again with the next try and
 * puts the run back to queued. Tasks that succeeded are not run again. Returns the
 * Airflow task ids cleared (none when nothing had failed). The Airflow executor calls
 * it for retryable failures; a recovery action can call it for any run's DAG run.
 */
export async function retryFailedTasks(client: AirflowClient, ref: DagRunRef, signal?: AbortSignal): Promise<string[]> {
  const cleared = await client.clearFailedTaskInstances(ref.dagId, ref.dagRunId, { signal });
  return cleared.map((ti) => ti.taskId);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
