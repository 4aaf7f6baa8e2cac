import type { PipelinePlan } from '@aoe/contracts';
import type { Brain } from '@aoe/agents';
import type { PlanningInput } from '../planning-input';
import { RulesPlanBrain } from '../rules/rules-plan.brain';

export type PlanBrain = Brain<PlanningInput, PipelinePlan>;

/** The brains the planner decides with: rules always; a model when one is configured. */
export class PlanBrains {
  constructor(
    readonly rules: PlanBrain = new RulesPlanBrain(),
    readonly model?: PlanBrain,
  ) {}
}

/**
 * The model brain from the environment. The LLM plan brain (`src/llm`) plugs
 * in here: when it is present and its configuration is set, it is returned;
 * until then the planner plans with rules only.
 */
export function modelBrainFromEnvironment(_env: NodeJS.ProcessEnv = process.env): PlanBrain | undefined {
  return undefined;
}
