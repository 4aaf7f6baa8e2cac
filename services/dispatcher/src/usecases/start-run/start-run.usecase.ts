import { Inject, Injectable } from '@nestjs/common';
import type { ClassifiedError } from '@aoe/contracts';
import { classifyError } from '@aoe/engine';
import { NonRetryableError } from '@aoe/messaging';
import { Store, TERMINAL_RUN_STATUSES, type RecoveryOverrides, type RunRecord } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';
import { DispatcherConfig } from '../../dispatcher.config';
import { ActiveRuns, DispatcherStopping } from '../../executor/active-runs';
import { EXECUTOR, type Executor, type RunOutcome } from '../../executor/executor';
import { RunReporter, type RunScope } from '../../executor/run-reporter';
import { CANCEL_MARKER } from '../../ids';
import { CircuitGate } from '../recover-run/circuit-gate';
import { applyRunOverrides } from '../recover-run/run-overrides';
import { StartRunCommand } from './start-run.command';

/** The plan version a request names is not stored yet (its plan.optimized is still on its way): retried. */
export class PlanNotReadyError extends Error {
  override readonly name = 'PlanNotReadyError';
}

export interface StartRunHooks {
  /** Called every few seconds while the run executes (the bus handler extends its ack deadline). */
  heartbeat?: () => void;
  /** Recovery's changes to the plan for this execution (a smaller batch, quarantine instead of fail). */
  overrides?: RecoveryOverrides;
}

const HEARTBEAT_MS = 5_000;

/**
 * The run lifecycle: the run and a queued task run for every plan task are
 * created once (the run id is the key), the run moves to running and
 * `aoe.evt.run.started` is published, the executor carries the plan out, and
 * the run ends succeeded, failed or cancelled with its stats, resources and
 * settings, followed by the matching event. A request for a run that is
 * already running (its dispatcher died) resumes it: chains already loaded are
 * not run again, the others run with the next attempt number.
 */
@Injectable()
export class StartRunUseCase {
  constructor(
    private readonly store: Store,
    private readonly reporter: RunReporter,
    private readonly active: ActiveRuns,
    @Inject(EXECUTOR) private readonly executor: Executor,
    @Inject(DispatcherConfig) private readonly config: DispatcherConfig,
    private readonly telemetry: Telemetry,
    private readonly circuits: CircuitGate = new CircuitGate(store),
  ) {}

  async execute(input: StartRunCommand, hooks: StartRunHooks = {}): Promise<RunRecord> {
    const command = StartRunCommand.parse(input);
    const scope: RunScope = {
      runId: command.runId,
      pipelineId: command.pipelineId,
      correlationId: command.correlationId,
      causationId: command.messageId,
    };
    let run = await this.prepare(command);
    if (TERMINAL_RUN_STATUSES.includes(run.status)) {
      // The request came back unacknowledged: its end may be stored without its event on the bus.
      await this.reporter.republishEnd(run, scope);
      return run;
    }
    if (this.active.has(run.id)) return run;

    // Independent reads, issued together (one round trip to an embedded store); checked in the same order as ever.
    const [pipelineRecord, planVersion, cancelRequested, taskRunPage] = await Promise.all([
      this.store.pipelines.get(run.pipelineId),
      this.store.plans.get(run.pipelineId, run.planVersion!),
      this.store.inbox.has(CANCEL_MARKER, run.id),
      this.store.taskRuns.listByRun(run.id, { limit: 500 }),
    ]);
    const pipeline = pipelineRecord!;
    const plan = applyRunOverrides(planVersion!.plan, hooks.overrides);
    const [source, refusal] = await Promise.all([
      this.store.sources.get(plan.sourceId),
      run.status === 'queued' ? this.circuits.refusal(plan.sourceId) : undefined,
    ]);
    if (!source)
      throw new NonRetryableError(`source "${plan.sourceId}" of pipeline "${pipeline.id}" is not registered`);

    if (cancelRequested) return this.cancelQueued(run, scope);
    if (refusal) return this.refuse(run, scope, refusal);

    const taskRuns = taskRunPage.items;
    const resumed = run.status === 'running';
    const attempt = resumed ? Math.max(1, ...taskRuns.map((t) => t.attempt)) + 1 : 1;
    const loads = new Set(plan.tasks.filter((t) => t.kind === 'load').map((t) => t.id));
    const finishedLoads = new Set(
      taskRuns.filter((t) => loads.has(t.taskId) && t.status === 'succeeded').map((t) => t.taskId),
    );

    const started = await this.store.runs.updateStatus(run.id, 'running', { settings: plan.settings });
    if (!started.applied) return started.run;
    run = started.run;
    await this.reporter.runEvent(scope, 'started', attempt);

    const controller = this.active.start(run.id);
    const watch = this.watch(run.id, controller, hooks);
    let outcome: RunOutcome;
    try {
      outcome = await this.executor.execute({
        scope,
        attempt,
        run,
        pipeline,
        plan,
        source: source.spec,
        signal: controller.signal,
        finishedLoads,
      });
    } catch (error) {
      outcome = {
        status: 'failed',
        stats: { rowsRead: 0, rowsLoaded: 0, rowsQuarantined: 0, bytes: 0, durationMs: 0 },
        error: classifyError(error),
        resources: { cpuSeconds: 0, peakMemoryBytes: 0, bytesMoved: 0 },
      };
    } finally {
      watch.stop();
      this.active.finish(run.id);
    }
    if (controller.signal.reason instanceof DispatcherStopping) {
      // Not cancelled: handed back unacknowledged, so another replica resumes it.
      throw controller.signal.reason;
    }

    const ended = await this.store.runs.updateStatus(run.id, outcome.status, {
      stats: outcome.stats,
      ...(outcome.error ? { error: outcome.error } : {}),
      settings: plan.settings,
      cpuSeconds: outcome.resources.cpuSeconds,
      peakMemoryBytes: outcome.resources.peakMemoryBytes,
      bytesMoved: outcome.resources.bytesMoved,
    });
    if (ended.applied) {
      await this.reporter.runEvent(scope, outcome.status, attempt, {
        stats: outcome.stats,
        error: outcome.error,
        at: ended.run.finishedAt,
      });
    }
    this.telemetry.logger.info(
      { runId: run.id, pipelineId: run.pipelineId, status: outcome.status, stats: outcome.stats },
      `run ${outcome.status}`,
    );
    return ended.run;
  }

  /** The run record, created with its task runs on the first request. */
  private async prepare(command: StartRunCommand): Promise<RunRecord> {
    return this.store.transaction(async (tx) => {
      const [existing, pipeline] = await Promise.all([
        tx.runs.get(command.runId),
        tx.pipelines.get(command.pipelineId),
      ]);
      if (existing) return existing;
      if (!pipeline) throw new NonRetryableError(`pipeline "${command.pipelineId}" does not exist`);
      const version = command.planVersion ?? pipeline.currentPlanVersion;
      if (version === undefined) throw new PlanNotReadyError(`pipeline "${pipeline.id}" has no plan yet`);
      const planVersion = await tx.plans.get(pipeline.id, version);
      if (!planVersion) throw new PlanNotReadyError(`pipeline "${pipeline.id}" has no plan version ${version} yet`);
      const run = await tx.runs.create({
        id: command.runId,
        pipelineId: pipeline.id,
        planVersion: version,
        trigger: command.trigger,
        settings: planVersion.plan.settings,
      });
      // Issued together, sent in order.
      await Promise.all(
        planVersion.plan.tasks.map((task) =>
          tx.taskRuns.upsert({ runId: run.id, taskId: task.id, status: 'queued', attempt: 1 }),
        ),
      );
      return run;
    });
  }

  /** Cancelled before it started: a cancel request was recorded for it. */
  private async cancelQueued(run: RunRecord, scope: RunScope): Promise<RunRecord> {
    const error = {
      class: 'unknown' as const,
      message: 'cancelled before it started',
      code: 'CANCELLED',
      retryable: false,
    };
    const change = await this.store.runs.updateStatus(run.id, 'cancelled', { error });
    if (change.applied) {
      for (const task of (await this.store.taskRuns.listByRun(run.id, { limit: 500 })).items) {
        await this.reporter.taskSettled(scope, task.taskId, task.attempt, 'cancelled');
      }
      await this.reporter.runEvent(scope, 'cancelled', 1, { error, at: change.run.finishedAt });
    }
    return change.run;
  }

  /** Not started: the source's circuit is open (recovery defers the run until it is half-open). */
  private async refuse(run: RunRecord, scope: RunScope, error: ClassifiedError): Promise<RunRecord> {
    const change = await this.store.runs.updateStatus(run.id, 'failed', { error });
    if (change.applied) await this.reporter.runEvent(scope, 'failed', 1, { error, at: change.run.finishedAt });
    return change.run;
  }

  /** Heartbeats for the bus, and the cancel requests other replicas recorded for this run. */
  private watch(runId: string, controller: AbortController, hooks: StartRunHooks): { stop(): void } {
    let lastBeat = Date.now();
    let checking = false;
    const timer = setInterval(
      () => {
        if (Date.now() - lastBeat >= HEARTBEAT_MS) {
          lastBeat = Date.now();
          hooks.heartbeat?.();
        }
        if (checking || controller.signal.aborted) return;
        checking = true;
        this.store.inbox
          .has(CANCEL_MARKER, runId)
          .then((cancelled) => {
            if (cancelled && !controller.signal.aborted) controller.abort(new Error('cancel requested'));
          })
          .catch((error: unknown) => this.telemetry.logger.warn({ err: error, runId }, 'cancel check failed'))
          .finally(() => (checking = false));
      },
      Math.min(this.config.cancelPollMs, HEARTBEAT_MS),
    );
    return { stop: () => clearInterval(timer) };
  }
}
