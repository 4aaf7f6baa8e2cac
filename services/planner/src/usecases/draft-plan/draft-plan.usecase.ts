import { Inject, Injectable } from '@nestjs/common';
import { Messages, TargetPolicy, type AgentDecision, type PipelinePlan } from '@aoe/contracts';
import type { AgentGuardApi } from '@aoe/agents';
import { BUS, NonRetryableError, uuidFromText, type Bus } from '@aoe/messaging';
import { Store, type Clock } from '@aoe/store';
import { AGENT_GUARD } from '@aoe/agents';
import { checkPlan } from '../../decision/plan-checks';
import { PlanBrains } from '../../decision/plan-brains';
import { planDecideRequest } from '../../llm';
import type { PlanningInput } from '../../planning-input';
import { CLOCK } from '@aoe/service-kit';
import { DraftPlanCommand } from './draft-plan.command';

export const SERVICE = 'planner';

export type DraftPlanResult =
  | { status: 'drafted'; plan: PipelinePlan; decision: AgentDecision }
  /** The profile was not for a pipeline (a plain analysis): nothing to plan. */
  | { status: 'skipped' }
  /** This message was already acted on. */
  | { status: 'duplicate' };

/**
 * Drafts a plan for a profiled source: the guard decides (rules, or a model
 * checked against rules), then one transaction records the message in the
 * inbox, creates the pipeline if it is new, saves the plan version, makes it
 * current and publishes `aoe.evt.plan.drafted`. The publish is the last step
 * inside the transaction and carries an id derived from the message, so a
 * failure anywhere rolls everything back and the redelivery publishes the
 * same event id again (the bus drops the repeat).
 */
@Injectable()
export class DraftPlanUseCase {
  constructor(
    private readonly store: Store,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(AGENT_GUARD) private readonly guard: AgentGuardApi,
    private readonly brains: PlanBrains,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(input: DraftPlanCommand): Promise<DraftPlanResult> {
    const command = DraftPlanCommand.parse(input);
    const pipeline = command.pipeline;
    if (!pipeline) return { status: 'skipped' };
    // Independent reads, issued together (one round trip to an embedded store).
    const [handled, source, existing, version] = await Promise.all([
      this.store.inbox.has(SERVICE, command.messageId),
      this.store.sources.get(command.sourceId),
      this.store.pipelines.get(pipeline.pipelineId),
      this.store.plans.nextVersion(pipeline.pipelineId),
    ]);
    if (handled) return { status: 'duplicate' };
    // Refused before deciding, so no decision is recorded for a message that can never succeed.
    if (!source) {
      throw new NonRetryableError(`source "${command.sourceId}" is not registered`);
    }
    if (existing && existing.sourceId !== command.sourceId) {
      throw new NonRetryableError(
        `pipeline "${pipeline.pipelineId}" reads source "${existing.sourceId}", not "${command.sourceId}"`,
      );
    }

    const planning: PlanningInput = {
      profile: command.profile,
      target: pipeline.target,
      policy: TargetPolicy.parse(pipeline.policy ?? {}),
      pipelineId: pipeline.pipelineId,
      sourceId: command.sourceId,
      version,
    };
    const { value, decision } = await this.guard.decide(
      planDecideRequest({
        input: planning,
        rules: this.brains.rules,
        model: this.brains.model,
        correlationId: command.correlationId,
        // Every plan, rules or model, passes the LLM safety checks and the planner's own.
        checks: [checkPlan],
      }),
    );
    const plan: PipelinePlan = { ...value, createdAt: this.clock.now().toISOString() };

    const drafted = await this.store.transaction(async (tx) => {
      const [fresh, stored] = await Promise.all([
        tx.inbox.recordOnce(SERVICE, command.messageId, command.subject),
        tx.pipelines.get(plan.pipelineId),
      ]);
      if (!fresh) return false;
      if (!stored) {
        await tx.pipelines.create({
          id: plan.pipelineId,
          sourceId: plan.sourceId,
          name: plan.pipelineId,
          target: plan.target,
          policy: plan.policy,
        });
      }
      // A version another replica saved meanwhile is a ConflictError: retried, and re-planned on the next version.
      await tx.plans.save(plan);
      await tx.pipelines.setCurrentPlanVersion(plan.pipelineId, plan.version);
      await this.bus.publish(
        Messages.PlanDrafted,
        { plan },
        {
          correlationId: command.correlationId,
          causationId: command.messageId,
          id: uuidFromText(`${SERVICE}|${command.messageId}|${Messages.PlanDrafted.type}`),
        },
      );
      return true;
    });
    return drafted ? { status: 'drafted', plan, decision } : { status: 'duplicate' };
  }
}
