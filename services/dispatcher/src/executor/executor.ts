import type { ClassifiedError, PipelinePlan, RunStats, SourceSpec } from '@aoe/contracts';
import type { PipelineRecord, RunRecord } from '@aoe/store';
import type { RunEnd, RunScope } from './run-reporter';

/** Everything an executor needs to carry out one run of a plan. */
export interface RunExecution {
  scope: RunScope;
  /** 1 for a run's first execution; more when a run is resumed (its dispatcher stopped mid-run). */
  attempt: number;
  run: RunRecord;
  pipeline: PipelineRecord;
  plan: PipelinePlan;
  source: SourceSpec;
  /** Aborted when the run is cancelled (or the dispatcher shuts down). */
  signal: AbortSignal;
  /** Load tasks an earlier execution of this run already finished: their chains are not run again. */
  finishedLoads: ReadonlySet<string>;
}

/** What the optimizer learns from a run: stored on the run with its stats. */
export interface RunResources {
  cpuSeconds: number;
  peakMemoryBytes: number;
  bytesMoved: number;
}

export interface RunOutcome {
  status: RunEnd;
  stats: RunStats;
  /** Why the run failed (or was cancelled). */
  error?: ClassifiedError;
  resources: RunResources;
}

/**
 * Where runs are carried out. The dispatcher decides when a run starts and
 * records how it ended; an executor runs the plan's tasks and reports them
 * (task runs in the store, task events on the bus).
 *
 * - `EmbeddedExecutor`: in this process, each load task's chain as one engine stream.
 * - An Airflow executor (next): renders the plan as a DAG spec, triggers a DAG
 *   run whose tasks call `aoe worker run-task`, follows it, and clears or fails
 *   it on cancel. Provide it under the `EXECUTOR` token (see DispatcherModule).
 */
export interface Executor {
  readonly name: string;
  execute(execution: RunExecution): Promise<RunOutcome>;
}

/** Injection token of the executor the dispatcher uses. */
export const EXECUTOR = Symbol('aoe.dispatcher.executor');
