import { Inject, Injectable } from '@nestjs/common';
import type { ClassifiedError } from '@aoe/contracts';
import { Store } from '@aoe/store';
import { DispatcherConfig } from '../dispatcher.config';
import { planChains, type Chain } from './chains';
import { ChainRunner, type ChainOutcome } from './chain-runner';
import type { Executor, RunExecution, RunOutcome } from './executor';
import { RunReporter } from './run-reporter';

type ChainState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

/**
 * Runs a plan in this process. Each load task's chain is one engine stream;
 * chains start once the chains they wait for have succeeded, at most
 * `min(plan.settings.loadConcurrency, AOE_MAX_PARALLEL_CHAINS)` at a time.
 * A chain whose prerequisite failed is skipped; independent chains go on.
 */
@Injectable()
export class EmbeddedExecutor implements Executor {
  readonly name = 'embedded';

  constructor(
    private readonly chains: ChainRunner,
    private readonly reporter: RunReporter,
    private readonly store: Store,
    @Inject(DispatcherConfig) private readonly config: DispatcherConfig,
  ) {}

  async execute(execution: RunExecution): Promise<RunOutcome> {
    const started = Date.now();
    const meter = new ProcessMeter();
    const { scope, attempt, plan, signal } = execution;
    const { chains, orphans } = planChains(plan);
    for (const taskId of orphans) await this.reporter.taskSettled(scope, taskId, attempt, 'skipped');

    const state = new Map<string, ChainState>(
      chains.map((c) => [c.loadTaskId, execution.finishedLoads.has(c.loadTaskId) ? 'succeeded' : 'pending']),
    );
    const outcomes: ChainOutcome[] = [];
    const limit = Math.max(1, Math.min(plan.settings.loadConcurrency, this.config.maxParallelChains));
    const running = new Map<string, Promise<void>>();

    const launch = (chain: Chain): void => {
      state.set(chain.loadTaskId, 'running');
      const done = this.chains
        .run({ scope, attempt, plan, chain, source: execution.source, signal })
        .then((outcome) => {
          outcomes.push(outcome);
          state.set(chain.loadTaskId, outcome.status);
        })
        .finally(() => running.delete(chain.loadTaskId));
      running.set(chain.loadTaskId, done);
    };

    for (;;) {
      for (const chain of chains) {
        if (state.get(chain.loadTaskId) !== 'pending') continue;
        const before = chain.after.map((id) => state.get(id));
        if (signal.aborted) {
          await this.settle(execution, chain, 'cancelled');
          state.set(chain.loadTaskId, 'cancelled');
        } else if (before.some((s) => s === 'failed' || s === 'cancelled' || s === 'skipped')) {
          await this.settle(execution, chain, 'skipped');
          state.set(chain.loadTaskId, 'skipped');
        } else if (before.every((s) => s === 'succeeded' || s === undefined) && running.size < limit) {
          launch(chain);
        }
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    meter.stop();

    const sum = (pick: (o: ChainOutcome) => number) => outcomes.reduce((total, o) => total + pick(o), 0);
    const states = [...state.values()];
    const failed = outcomes.find((o) => o.status === 'failed');
    const status = states.every((s) => s === 'succeeded')
      ? 'succeeded'
      : states.includes('cancelled') || signal.aborted
        ? 'cancelled'
        : 'failed';
    const earlierRows = await this.rowsLoadedEarlier(execution);
    return {
      status,
      stats: {
        rowsRead: sum((o) => o.metrics.rowsRead),
        rowsLoaded: sum((o) => o.metrics.rowsLoaded) + earlierRows,
        rowsQuarantined: sum((o) => o.metrics.rowsQuarantined),
        bytes: sum((o) => o.metrics.bytesRead),
        durationMs: Date.now() - started,
      },
      ...(status === 'failed' && failed?.error ? { error: runError(failed) } : {}),
      ...(status === 'cancelled' ? { error: cancelledError(signal) } : {}),
      resources: {
        cpuSeconds: meter.cpuSeconds,
        peakMemoryBytes: Math.max(meter.peakRssBytes, ...outcomes.map((o) => o.metrics.peakRssBytes)),
        bytesMoved: sum((o) => o.metrics.bytesRead),
      },
    };
  }

  private async settle(execution: RunExecution, chain: Chain, status: 'cancelled' | 'skipped'): Promise<void> {
    for (const taskId of chain.taskIds)
      await this.reporter.taskSettled(execution.scope, taskId, execution.attempt, status);
  }

  /** Rows loaded by chains an earlier execution of the run finished (a resumed run counts them too). */
  private async rowsLoadedEarlier(execution: RunExecution): Promise<number> {
    let rows = 0;
    for (const loadTaskId of execution.finishedLoads) {
      rows += (await this.store.taskRuns.get(execution.run.id, loadTaskId))?.rows ?? 0;
    }
    return rows;
  }
}

function runError(failed: ChainOutcome): ClassifiedError {
  const error = failed.error!;
  return { ...error, message: `task "${failed.failedTaskId ?? failed.loadTaskId}": ${error.message}` };
}

function cancelledError(signal: AbortSignal): ClassifiedError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'cancelled';
  return { class: 'unknown', message: `cancelled: ${why}`, code: 'CANCELLED', retryable: false };
}

/** CPU and peak memory of this process over a run (process-wide: concurrent runs share it). */
class ProcessMeter {
  private readonly cpu = process.cpuUsage();
  private peak = process.memoryUsage.rss();
  private readonly timer = setInterval(() => this.sample(), 250);

  constructor() {
    this.timer.unref();
  }

  private sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }

  get cpuSeconds(): number {
    const used = process.cpuUsage(this.cpu);
    return (used.user + used.system) / 1e6;
  }

  get peakRssBytes(): number {
    return this.peak;
  }
}
