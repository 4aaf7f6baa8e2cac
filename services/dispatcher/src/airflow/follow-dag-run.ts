import {
  type AirflowDagRun,
  type AirflowTaskInstance,
  DEFAULT_POLL_BACKOFF,
  type FollowDagRunOptions,
  type FollowDagRunResult,
  isTerminalDagRunState,
  type RequestOptions,
} from './airflow.client';
import { AirflowError } from './airflow.errors';

/** What following a run needs from a client. */
export interface DagRunReader {
  getDagRun(dagId: string, dagRunId: string, options?: RequestOptions): Promise<AirflowDagRun>;
  listTaskInstances(dagId: string, dagRunId: string, options?: RequestOptions): Promise<AirflowTaskInstance[]>;
}

export const DEFAULT_MAX_CONSECUTIVE_ERRORS = 5;

/**
 * Polls a DAG run until it is `success` or `failed`. The delay starts at
 * `backoff.initialMs`, grows by `factor` up to `maxMs` while nothing changes and
 * goes back to `initialMs` when something does. Retryable errors (network, 429,
 * 5xx) are tolerated `maxConsecutiveErrors` times in a row; others are thrown.
 */
export async function followDagRun(
  reader: DagRunReader,
  dagId: string,
  dagRunId: string,
  options: FollowDagRunOptions = {},
): Promise<FollowDagRunResult> {
  const backoff = { ...DEFAULT_POLL_BACKOFF, ...options.backoff };
  const maxErrors = options.maxConsecutiveErrors ?? DEFAULT_MAX_CONSECUTIVE_ERRORS;
  const { signal } = options;
  const seen = new Map<string, string>();
  let lastRunState: string | undefined;
  let delay = backoff.initialMs;
  let errors = 0;

  for (;;) {
    signal?.throwIfAborted();
    let run: AirflowDagRun;
    let taskInstances: AirflowTaskInstance[];
    try {
      run = await reader.getDagRun(dagId, dagRunId, { signal });
      taskInstances = await reader.listTaskInstances(dagId, dagRunId, { signal });
      errors = 0;
    } catch (error) {
      errors += 1;
      if (!(error instanceof AirflowError) || !error.retryable || errors > maxErrors) throw error;
      delay = Math.min(delay * backoff.factor, backoff.maxMs);
      await sleep(delay, signal);
      continue;
    }

    const changed = taskInstances.filter((ti) => {
      const key = `${ti.taskId}[${ti.mapIndex}]`;
      const value = `${ti.state ?? 'none'}#${ti.tryNumber}`;
      if (seen.get(key) === value) return false;
      seen.set(key, value);
      return true;
    });
    if (changed.length > 0 || run.state !== lastRunState) {
      lastRunState = run.state;
      delay = backoff.initialMs;
      await options.onUpdate?.({ run, taskInstances, changed });
    } else {
      delay = Math.min(delay * backoff.factor, backoff.maxMs);
    }
    if (isTerminalDagRunState(run.state)) return { run, taskInstances };
    await sleep(delay, signal);
  }
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
