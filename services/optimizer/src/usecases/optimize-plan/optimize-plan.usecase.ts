import { Inject, Injectable } from '@nestjs/common';
import { Messages, type AgentDecision, type PipelinePlan } from '@aoe/contracts';
import type { AgentGuardApi } from '@aoe/agents';
import { BUS, uuidFromText, type Bus } from '@aoe/messaging';
import { Store, type Clock } from '@aoe/store';
import { CLOCK } from '@aoe/service-kit';
import { AGENT_GUARD } from '@aoe/agents';
import { RunHistoryReader } from '../../history/run-history.reader';
import { OptimizerConfig } from '../../optimizer-config';
import { checkOptimization } from '../../tuning/check-optimization';
import { applyOptimization, type OptimizationInput } from '../../tuning/optimize';
import { describeOptimization, RulesOptimizerBrain } from '../../tuning/rules-optimizer.brain';
import { OptimizePlanCommand } from './optimize-plan.command';

export const SERVICE = 'optimizer';

export type OptimizePlanResult =
  | { status: 'optimized'; plan: PipelinePlan; decision: AgentDecision }
  /** A newer plan version exists: tuning this one would overwrite it. */
  | { status: 'superseded'; latestVersion: number }
  /** This message was already acted on. */
  | { status: 'duplicate' };

/** The drafted plan is not in the store yet (its transaction has not committed): retried, not lost. */
export class DraftNotStoredError extends Error {
  override readonly name = 'DraftNotStoredError';
  readonly code = 'OPTIMIZER_DRAFT_NOT_STORED';
  constructor(pipelineId: string, version: number) {
    super(`plan version ${version} of pipeline "${pipelineId}" is not stored yet`);
  }
}

/**
 * Tunes a drafted plan: reads the source's latest profile and the run history,
 * lets the guard decide (settings and extract mode, with reasons and
 * evidence), then one transaction records the message in the inbox, saves the
 * optimized plan as the next version, makes it current and publishes
 * `aoe.evt.plan.optimized` (last, with an id derived from the message, so a
 * rolled-back attempt republishes the same event id).
 */
@Injectable()
export class OptimizePlanUseCase {
  private readonly rules = new RulesOptimizerBrain();

  constructor(
    private readonly store: Store,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(AGENT_GUARD) private readonly guard: AgentGuardApi,
    private readonly history: RunHistoryReader,
    private readonly config: OptimizerConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(input: OptimizePlanCommand): Promise<OptimizePlanResult> {
    const command = OptimizePlanCommand.parse(input);
    const drafted = command.plan;
    const [handled, latestProfile] = await Promise.all([
      this.store.inbox.has(SERVICE, command.messageId),
      this.store.profiles.latest(drafted.sourceId),
    ]);
    if (handled) return { status: 'duplicate' };

    const profile = latestProfile?.profile;
    const optimization: OptimizationInput = {
      plan: drafted,
      ...(profile ? { profile } : {}),
      history: await this.history.read(drafted, profile),
      seed: `${this.config.seed}:${drafted.pipelineId}:${drafted.version}`,
      explorationRate: this.config.explorationRate,
    };
    const { value, decision } = await this.guard.decide({
      agent: 'optimizer',
      subjectId: drafted.pipelineId,
      correlationId: command.correlationId,
      input: optimization,
      rules: this.rules,
      validate: checkOptimization,
      describe: describeOptimization,
    });

    return this.store.transaction(async (tx): Promise<OptimizePlanResult> => {
      const [fresh, latestPlan] = await Promise.all([
        tx.inbox.recordOnce(SERVICE, command.messageId, command.subject),
        tx.plans.latest(drafted.pipelineId),
      ]);
      if (!fresh) return { status: 'duplicate' };
      const latest = latestPlan?.version ?? 0;
      if (latest < drafted.version) throw new DraftNotStoredError(drafted.pipelineId, drafted.version);
      if (latest > drafted.version) return { status: 'superseded', latestVersion: latest };

      const plan = applyOptimization(drafted, value, drafted.version + 1, this.clock.now().toISOString());
      await tx.plans.save(plan);
      await tx.pipelines.setCurrentPlanVersion(plan.pipelineId, plan.version);
      await this.bus.publish(
        Messages.PlanOptimized,
        { plan },
        {
          correlationId: command.correlationId,
          causationId: command.messageId,
          id: uuidFromText(`${SERVICE}|${command.messageId}|${Messages.PlanOptimized.type}`),
        },
      );
      return { status: 'optimized', plan, decision };
    });
  }
}
