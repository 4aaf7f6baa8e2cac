import type { Brain, Proposal } from '@aoe/agents';
import { optimize, type Optimization, type OptimizationInput } from './optimize';

/** The optimizer's rules as the guard's rules brain. */
export class RulesOptimizerBrain implements Brain<OptimizationInput, Optimization> {
  readonly kind = 'rules' as const;
  readonly name = 'rules';

  async propose(input: OptimizationInput): Promise<Proposal<Optimization>> {
    const { value, rationale } = optimize(input);
    return { value, rationale };
  }
}

/** The choice as stored in the decision: settings, extract, whether it explored, and the evidence. */
export function describeOptimization(value: Optimization): Record<string, unknown> {
  return { ...value };
}
