import type { PipelinePlan } from '@aoe/contracts';
import type { Brain } from '@aoe/agents';
import type { LlmPlanningInput } from '../llm';
import type { PlanningInput } from '../planning-input';
import { RulesPlanBrain } from '../rules/rules-plan.brain';

/** The brains the planner decides with: rules always; the LLM plan brain when `AOE_LLM_*` configures one. */
export class PlanBrains {
  constructor(
    readonly rules: Brain<PlanningInput, PipelinePlan> = new RulesPlanBrain(),
    readonly model?: Brain<LlmPlanningInput, PipelinePlan>,
  ) {}
}
