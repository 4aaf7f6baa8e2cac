import { Inject, Injectable } from '@nestjs/common';
import { Messages, type AgentDecision } from '@aoe/contracts';
import { AGENT_GUARD, type AgentGuardApi } from '@aoe/agents';
import { BUS, uuidFromText, type Bus } from '@aoe/messaging';
import { CLOCK } from '@aoe/service-kit';
import { Store, type Clock } from '@aoe/store';
import { recoveryAlert } from '../../alerting/recovery-alert';
import { classifyFailure } from '../../classification/classify-failure';
import { RecoveryBrains } from '../../decision/llm-recovery.brain';
import { RecoveryMetrics } from '../../metrics/recovery.metrics';
import {
  checkChoice,
  describeChoice,
  isRetryAction,
  restoreChoice,
  type RecoveryChoice,
  type RecoveryInput,
} from '../../policy/recovery-choice';
import { RecoveryConfig } from '../../recovery-config';
import { RecoverFailureCommand } from './recover-failure.command';
import { recoveryInputOf } from './recovery-input';

export const SERVICE = 'recovery';

/** Another replica holds an undecided claim on this failure: retried until it decides or its claim goes stale. */
export class ClaimPendingError extends Error {
  override readonly name = 'ClaimPendingError';
}

const SOURCE_SIDE = new Set(['transient-network', 'timeout', 'rate-limit']);

export type RecoverFailureResult =
  | { status: 'acted'; choice: RecoveryChoice; decision: AgentDecision }
  /** Another replica (or an earlier delivery) claimed this failure. */
  | { status: 'claimed-elsewhere' }
  /** The run is not failed any more (already retried, or cancelled) or its pipeline is not active. */
  | { status: 'skipped'; reason: 'not-failed' | 'pipeline-not-active' };

/**
 * One failed run: the failure is claimed (a unique row per run, task and
 * attempt; an undecided claim older than the lease is taken over), classified, decided through the
 * guard (rules; a model may advise on unknown failures) with its evidence,
 * and carried out: a retry command for the dispatcher, a circuit opened, a
 * re-plan requested, or the pipeline paused, with an alert where a person
 * should know.
 */
@Injectable()
export class RecoverFailureUseCase {
  constructor(
    private readonly store: Store,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(AGENT_GUARD) private readonly guard: AgentGuardApi,
    private readonly brains: RecoveryBrains,
    private readonly config: RecoveryConfig,
    private readonly metrics: RecoveryMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(input: RecoverFailureCommand): Promise<RecoverFailureResult> {
    const event = RecoverFailureCommand.parse(input);
    const run = await this.store.runs.get(event.runId);
    if (!run) throw new Error(`run "${event.runId}" is not in the store yet`);
    if (run.status !== 'failed') return this.skip('not-failed');
    const pipeline = await this.store.pipelines.get(run.pipelineId);
    if (pipeline?.status !== 'active') return this.skip('pipeline-not-active');
    const plan = (await this.store.plans.get(run.pipelineId, run.planVersion!))!.plan;

    const tasks = (await this.store.taskRuns.listByRun(run.id, { limit: 500 })).items;
    const attempt = Math.max(1, ...tasks.map((t) => t.attempt));
    const failed = tasks.find((t) => t.status === 'failed' && t.attempt === attempt);
    const taskId = failed?.taskId ?? '';
    const error = run.error ?? event.error;
    const key = { runId: run.id, taskId, attempt };

    const now = this.clock.now();
    const since = new Date(now.getTime() - this.config.settings.circuitWindowMs).toISOString();
    const earlier = (await this.store.recoveryActions.listByRun(run.id)).filter((a) => a.attempt < attempt);
    const pipelineRecent = (await this.store.recoveryActions.listRecent({ pipelineId: run.pipelineId, since }, 50))
      .filter((a) => a.runId !== run.id)
      .reverse();
    const failure = classifyFailure(error, { taskId, earlier, pipelineRecent });
    const claim = await this.store.recoveryActions.claim(
      { ...key, pipelineId: run.pipelineId, sourceId: plan.sourceId, failureClass: failure.class, failedAt: event.at },
      new Date(now.getTime() - this.config.claimLeaseMs).toISOString(),
    );
    if (claim === 'decided') return this.skip('claimed-elsewhere');
    // Another replica is deciding: come back later; if it died, its claim goes stale and this delivery takes over.
    if (claim === 'pending') throw new ClaimPendingError(`recovery of run "${run.id}" is being decided elsewhere`);

    let outcome: { choice: RecoveryChoice; decision: AgentDecision };
    try {
      const recent = await this.store.recoveryActions.listRecent({ sourceId: plan.sourceId, since }, 500);
      const circuit = await this.store.circuits.get(plan.sourceId);
      const recoveryInput = recoveryInputOf({
        run,
        plan,
        tasks,
        failed: { taskId, attempt, failure, error },
        earlier,
        sourceFailures: recent.filter((a) => SOURCE_SIDE.has(a.failureClass)).length,
        circuit,
        now,
        settings: this.config.settings,
      });
      const { value, decision } = await this.guard.decide({
        agent: 'recovery',
        subjectId: run.pipelineId,
        correlationId: run.id,
        input: recoveryInput,
        rules: this.brains.rules,
        // A model may advise only where the rules cannot tell what failed.
        ...(failure.class === 'unknown' && this.brains.model ? { model: this.brains.model } : {}),
        validate: checkChoice,
        describe: describeChoice(recoveryInput),
        restore: restoreChoice,
      });
      await this.carryOut(recoveryInput, value, decision, event.correlationId, event.messageId);
      await this.store.recoveryActions.decide(key, {
        action: value.action,
        decisionId: decision.id,
        reason: value.reason,
        overrides: {
          ...(value.batchSize !== undefined ? { batchSize: value.batchSize } : {}),
          ...(value.onBadRows ? { onBadRows: value.onBadRows } : {}),
        },
      });
      outcome = { choice: value, decision };
    } catch (error) {
      // Let the redelivery decide at once instead of waiting for the claim to go stale.
      await this.store.recoveryActions.release(key).catch(() => undefined);
      throw error;
    }

    this.metrics.decisions.inc({
      action: outcome.choice.action,
      class: failure.class,
      decided_by: outcome.decision.decidedBy,
    });
    this.metrics.failureToAction.observe(
      { action: outcome.choice.action },
      Math.max(0, this.clock.now().getTime() - Date.parse(event.at)) / 1000,
    );
    return { status: 'acted', choice: outcome.choice, decision: outcome.decision };
  }

  private skip(reason: 'not-failed' | 'pipeline-not-active' | 'claimed-elsewhere'): RecoverFailureResult {
    this.metrics.skipped.inc({ reason });
    return reason === 'claimed-elsewhere' ? { status: 'claimed-elsewhere' } : { status: 'skipped', reason };
  }

  /** Publishes what the choice means; ids derive from the failure, so a repeat after a takeover is one message. */
  private async carryOut(
    input: RecoveryInput,
    choice: RecoveryChoice,
    decision: AgentDecision,
    correlationId: string,
    causationId: string,
  ): Promise<void> {
    const id = (what: string) => uuidFromText(`recovery|${what}|${input.runId}|${input.taskId}|${input.attempt}`);
    const options = (what: string) => ({ correlationId, causationId, id: id(what) });
    if (choice.action === 'open-circuit') {
      const retryAt = new Date(Date.parse(input.now) + choice.delayMs).toISOString();
      await this.store.circuits.open(input.sourceId, { retryAt, reason: choice.reason });
      this.metrics.circuits.inc({ change: 'opened' });
    }
    if (isRetryAction(choice.action)) {
      await this.bus.publish(
        Messages.RecoveryRetry,
        {
          runId: input.runId,
          pipelineId: input.pipelineId,
          ...(input.taskId ? { taskId: input.taskId } : {}),
          attempt: input.attempt,
          delayMs: choice.delayMs,
          action: choice.action,
          ...(choice.batchSize !== undefined ? { batchSize: choice.batchSize } : {}),
          ...(choice.onBadRows ? { onBadRows: choice.onBadRows } : {}),
          reason: choice.reason,
          decisionId: decision.id,
        },
        options('retry'),
      );
    } else if (choice.action === 'replan') {
      const [source, pipeline] = await Promise.all([
        this.store.sources.get(input.sourceId),
        this.store.pipelines.get(input.pipelineId),
      ]);
      if (!source || !pipeline) throw new Error(`source or pipeline of run "${input.runId}" is gone`);
      // The same command the gateway sends; with `pipeline`, the planner re-plans it from the fresh profile.
      await this.bus.publish(
        Messages.AnalyzeSource,
        {
          sourceId: source.id,
          spec: source.spec,
          pipeline: { pipelineId: pipeline.id, target: pipeline.target, policy: pipeline.policy },
        },
        options('replan'),
      );
    } else if (choice.action === 'pause') {
      await this.bus.publish(
        Messages.RecoveryPausePipeline,
        { pipelineId: input.pipelineId, runId: input.runId, reason: choice.reason, decisionId: decision.id },
        options('pause'),
      );
    }
    const alert = recoveryAlert(input, choice, decision.id);
    if (alert) {
      // Published even when an earlier attempt recorded it: that attempt may have failed before publishing.
      // The alert id is the message id, so a copy that did go out is dropped as a duplicate.
      await this.store.alerts.record(alert);
      await this.bus.publish(Messages.AlertRaised, alert, { correlationId, causationId, id: alert.id });
    }
  }
}
