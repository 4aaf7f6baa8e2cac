import { Inject, Injectable } from '@nestjs/common';
import type { ClassifiedError, PipelinePlan, SourceSpec } from '@aoe/contracts';
import {
  isPassThroughSource,
  withChunks,
  type CursorState,
  type PassThroughReader,
  type PassThroughSource,
  type SourceConnector,
} from '@aoe/connectors';
import { classifyError, runTask, taskSpecFromPlan, type TaskMetrics } from '@aoe/engine';
import { Store } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';
import { ConnectorProvider, type OpenedTarget } from '../connectors/connector.provider';
import { DispatcherConfig } from '../dispatcher.config';
import type { Chain } from './chains';
import { failingTask } from './failing-task';
import { RunReporter, type RunScope } from './run-reporter';

export interface ChainRequest {
  scope: RunScope;
  attempt: number;
  /** The whole plan (for task kinds); the chain carries its own cut of it. */
  plan: PipelinePlan;
  chain: Chain;
  source: SourceSpec;
  signal?: AbortSignal;
}

export type ChainStatus = 'succeeded' | 'failed' | 'cancelled';

export interface ChainOutcome {
  loadTaskId: string;
  status: ChainStatus;
  metrics: TaskMetrics;
  bytesWritten: number;
  /** Where the rows went. */
  location?: string;
  error?: ClassifiedError;
  /** The task the failure is recorded against. */
  failedTaskId?: string;
}

const NO_METRICS: TaskMetrics = {
  rowsRead: 0,
  rowsLoaded: 0,
  rowsToLoad: 0,
  rowsQuarantined: 0,
  rowsFiltered: 0,
  rowsDuplicate: 0,
  rowsAlreadyLoaded: 0,
  bytesRead: 0,
  batches: 0,
  durationMs: 0,
  cpuSeconds: 0,
  peakRssBytes: 0,
};

/**
 * Runs one chain (extract → transforms → validations → load) as one engine
 * task — one stream, one load transaction — and records it as the plan's
 * tasks: every task of the chain is started, reports progress through the
 * load task, and ends succeeded, or failed (the task the failure belongs to)
 * and cancelled (the others). Used by the embedded executor and by the worker.
 */
@Injectable()
export class ChainRunner {
  constructor(
    private readonly store: Store,
    private readonly reporter: RunReporter,
    private readonly connectors: ConnectorProvider,
    @Inject(DispatcherConfig) private readonly config: DispatcherConfig,
    private readonly telemetry: Telemetry,
  ) {}

  async run(request: ChainRequest): Promise<ChainOutcome> {
    const { scope, attempt, chain } = request;
    await this.reporter.taskEvents(
      scope,
      attempt,
      'started',
      chain.taskIds.map((taskId) => ({ taskId })),
    );

    const fromSource = new WeakSet<object>();
    const progress = this.reporter.progressChannel(scope, chain.loadTaskId, attempt);
    let target: OpenedTarget | undefined;
    let outcome: ChainOutcome;
    try {
      const source = tagErrors(this.connectors.source(request.source), fromSource);
      target = await this.connectors.target(request.plan.target);
      const result = await runTask({
        runId: scope.runId,
        taskId: chain.loadTaskId,
        source,
        sink: target.sink,
        plan: taskSpecFromPlan(chain.plan, chain.loadTaskId),
        quarantine: target.quarantine,
        ...(target.keepsCheckpoints ? {} : { checkpoints: { readCheckpoint: (p, s) => this.storedCheckpoint(p, s) } }),
        onProgress: (p) => {
          if (!p.done) progress.report(p.rowsToLoad, p.bytesRead);
        },
        progressIntervalMs: this.config.progressIntervalMs,
        signal: request.signal,
      });
      outcome = {
        loadTaskId: chain.loadTaskId,
        status: result.status,
        metrics: result.metrics,
        bytesWritten: result.write?.bytesWritten ?? 0,
        location: result.write?.location,
        error: result.error,
        ...(result.status === 'failed'
          ? { failedTaskId: failingTask(request.plan, chain, result.cause, isTagged(fromSource, result.cause)) }
          : {}),
      };
      // Which path the rows took (pass-through, set-based, rows) and why not a faster one: in the run's log.
      this.telemetry.logger.info(
        { runId: scope.runId, taskId: chain.loadTaskId, path: result.path, metrics: result.metrics },
        'load path',
      );
      if (result.status === 'succeeded' && result.checkpoint && result.outputSchema) {
        await this.mirrorCheckpoint(chain.plan.pipelineId, result.outputSchema.name, result.checkpoint);
      }
    } catch (error) {
      // Opening the source or the target, or building the chain's spec, failed: no row moved.
      outcome = {
        loadTaskId: chain.loadTaskId,
        status: 'failed',
        metrics: NO_METRICS,
        bytesWritten: 0,
        error: classifyError(error),
        failedTaskId: isTagged(fromSource, error) ? failingTask(request.plan, chain, error, true) : chain.loadTaskId,
      };
    } finally {
      await target?.close().catch((error: unknown) => {
        this.telemetry.logger.warn({ err: error, runId: scope.runId }, 'closing the target failed');
      });
    }
    await progress.flush();
    await this.record(request, outcome);
    return outcome;
  }

  private async record(request: ChainRequest, outcome: ChainOutcome): Promise<void> {
    const { scope, attempt, chain, plan } = request;
    const kinds = new Map(plan.tasks.map((t) => [t.id, t.kind]));
    const { metrics } = outcome;
    if (outcome.status === 'succeeded') {
      const details = chain.taskIds.map((taskId) => {
        const kind = kinds.get(taskId);
        return kind === 'extract'
          ? { taskId, rows: metrics.rowsRead, bytes: metrics.bytesRead }
          : kind === 'load'
            ? { taskId, rows: metrics.rowsLoaded, bytes: outcome.bytesWritten }
            : { taskId, rows: metrics.rowsToLoad };
      });
      await this.reporter.taskEvents(scope, attempt, 'succeeded', details);
      return;
    }
    for (const taskId of chain.taskIds) {
      if (outcome.status === 'failed' && taskId === outcome.failedTaskId) {
        await this.reporter.taskEvent(scope, taskId, attempt, 'failed', {
          rows: metrics.rowsToLoad,
          error: outcome.error,
        });
      } else {
        await this.reporter.taskSettled(scope, taskId, attempt, 'cancelled');
      }
    }
  }

  private async storedCheckpoint(pipelineId: string, stream: string): Promise<CursorState | undefined> {
    return (await this.store.checkpoints.get(pipelineId, stream))?.cursor as CursorState | undefined;
  }

  /** The control plane's copy of the state the load committed (the target's own copy is the one that counts). */
  private async mirrorCheckpoint(pipelineId: string, stream: string, state: CursorState): Promise<void> {
    try {
      await this.store.checkpoints.put(pipelineId, stream, JSON.parse(JSON.stringify(state)) as never);
    } catch (error) {
      this.telemetry.logger.warn({ err: error, pipelineId, stream }, 'could not record the checkpoint in the store');
    }
  }
}

function isTagged(tagged: WeakSet<object>, error: unknown): boolean {
  return typeof error === 'object' && error !== null && tagged.has(error);
}

/** The source as is, except that what it throws is remembered as the source's failure. */
function tagErrors(source: SourceConnector, tagged: WeakSet<object>): SourceConnector {
  const mark = (error: unknown): never => {
    if (typeof error === 'object' && error !== null) tagged.add(error);
    throw error;
  };
  const wrapped: SourceConnector & Partial<PassThroughSource> = {
    kind: source.kind,
    check: () => source.check(),
    discover: () => source.discover().catch(mark),
    read: (options) => ({
      async *[Symbol.asyncIterator]() {
        try {
          yield* source.read(options);
        } catch (error) {
          mark(error);
        }
      },
    }),
  };
  // Keeps the engine's fast paths (pass-through, set-based) open: the bytes are the source's too.
  if (isPassThroughSource(source)) {
    wrapped.passThrough = async (request) => {
      const reader = await source.passThrough(request).catch(mark);
      return reader ? taggedReader(reader, mark) : undefined;
    };
  }
  return wrapped;
}

function taggedReader(reader: PassThroughReader, mark: (error: unknown) => never): PassThroughReader {
  return withChunks(reader, async function* () {
    try {
      yield* reader.chunks();
    } catch (error) {
      // A refusal is the fast path's business (it falls back); anything else is the source failing.
      if ((error as { passThroughRejected?: boolean } | null)?.passThroughRejected) throw error;
      mark(error);
    }
  });
}
