import type { PipelinePlan } from '@aoe/contracts';
import {
  createChatModel,
  llmBudget,
  readLlmConfig,
  StructuredModelBrain,
  type Brain,
  type DecisionBudget,
  type Proposal,
  type SampleLimits,
  type StructuredModelBrainOptions,
} from '@aoe/agents';
import { PlanAnswer, PlanProposal } from './plan-proposal';
import { PLAN_SYSTEM_PROMPT, planFromProposal, presentPlanningInput, type LlmPlanningInput } from './plan-prompt';

export interface LlmPlanBrainOptions {
  /** A chat model that calls tools: `await createChatModel(readLlmConfig())`. */
  model: StructuredModelBrainOptions<LlmPlanningInput, PipelinePlan, PlanAnswer>['model'];
  /** The model's name as recorded in decisions. */
  name: string;
  /** Time and token budgets for the guard (`llmBudget(config)`); the guard's defaults otherwise. */
  budget?: Partial<DecisionBudget>;
  sampleLimits?: SampleLimits;
}

export const PLAN_TOOL = {
  name: 'propose_plan',
  description: 'Propose the tasks and run settings of the pipeline, with the rationale.',
} as const;

/**
 * The model planner: a Brain<PlanningInput, PipelinePlan> for the guard. It
 * only proposes tasks and settings; `validatePlanSafety` decides whether the
 * proposal may be used.
 */
export class LlmPlanBrain implements Brain<LlmPlanningInput, PipelinePlan> {
  readonly kind = 'model' as const;
  readonly name: string;
  readonly budget?: Partial<DecisionBudget>;
  private readonly brain: StructuredModelBrain<LlmPlanningInput, PipelinePlan, PlanAnswer>;

  constructor(options: LlmPlanBrainOptions) {
    this.name = options.name;
    if (options.budget) this.budget = options.budget;
    this.brain = new StructuredModelBrain({
      model: options.model,
      name: options.name,
      systemPrompt: PLAN_SYSTEM_PROMPT,
      answer: PlanAnswer,
      toolSchema: PlanProposal,
      tool: PLAN_TOOL,
      present: (input) => presentPlanningInput(input, options.sampleLimits),
      build: (input, answer) => ({ value: planFromProposal(input, answer), rationale: answer.rationale }),
    });
  }

  propose(input: LlmPlanningInput, signal: AbortSignal): Promise<Proposal<PipelinePlan>> {
    return this.brain.propose(input, signal);
  }

  /** The messages a model is sent for this input. */
  messages(input: LlmPlanningInput) {
    return this.brain.messages(input);
  }
}

/** The LLM plan brain configured by `AOE_LLM_*` (see docs/agents.md), or undefined: plan by rules only. */
export async function llmPlanBrainFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<LlmPlanBrain | undefined> {
  const config = readLlmConfig(env);
  if (!config) return undefined;
  return new LlmPlanBrain({ model: await createChatModel(config, env), name: config.model, budget: llmBudget(config) });
}
