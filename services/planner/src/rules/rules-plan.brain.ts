import type { PipelinePlan } from '@aoe/contracts';
import type { Brain, Proposal } from '@aoe/agents';
import type { PlanningInput } from '../planning-input';
import { planFromProfile } from './rules-planner';

/** The rules planner as the guard's rules brain: always there, works offline. */
export class RulesPlanBrain implements Brain<PlanningInput, PipelinePlan> {
  readonly kind = 'rules' as const;
  readonly name = 'rules';

  async propose(input: PlanningInput): Promise<Proposal<PipelinePlan>> {
    const { plan, rationale } = planFromProfile(input);
    return { value: plan, rationale };
  }
}
