import type { PipelinePlan } from '@aoe/contracts';
import type { Brain, DecideRequest, DecisionBudget, Verdict } from '@aoe/agents';
import { describePlan, restorePlan } from '../decision/plan-choice';
import type { PlanningInput } from '../planning-input';
import type { LlmPlanningInput } from './plan-prompt';
import { validatePlanSafety, type PlanSafetyOptions } from './plan-safety';

export type PlanCheck = (input: PlanningInput, plan: PipelinePlan, rulesPlan?: PipelinePlan) => Verdict;

export interface PlanDecisionArgs {
  input: LlmPlanningInput;
  rules: Brain<PlanningInput, PipelinePlan>;
  model?: Brain<LlmPlanningInput, PipelinePlan>;
  /** Default: the pipeline id. */
  subjectId?: string;
  correlationId?: string;
  budget?: Partial<DecisionBudget>;
  signal?: AbortSignal;
  safety?: PlanSafetyOptions;
  /** More checks every plan must pass after validatePlanSafety (e.g. the planner's checkPlan). */
  checks?: readonly PlanCheck[];
}

/** All reasons of several verdicts, or ok. */
export function combineVerdicts(verdicts: readonly Verdict[]): Verdict {
  const reasons = [...new Set(verdicts.flatMap((v) => (v.ok ? [] : v.reasons)))];
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/**
 * The planner's request to the guard: rules always, the model when configured;
 * every plan (rules or model) must pass validatePlanSafety and `checks`; a
 * model plan is held to the rules plan as its baseline.
 */
export function planDecideRequest(args: PlanDecisionArgs): DecideRequest<LlmPlanningInput, PipelinePlan> {
  const checks = args.checks ?? [];
  return {
    agent: 'planner',
    subjectId: args.subjectId ?? args.input.pipelineId,
    ...(args.correlationId !== undefined ? { correlationId: args.correlationId } : {}),
    input: args.input,
    rules: args.rules,
    ...(args.model ? { model: args.model } : {}),
    validate: (input, plan, rulesPlan) => {
      const safety = validatePlanSafety(input, plan, rulesPlan, args.safety);
      // Further checks expect a contract-valid plan.
      if (!safety.ok) return safety;
      return combineVerdicts(checks.map((check) => check(input, plan, rulesPlan)));
    },
    describe: describePlan,
    restore: restorePlan,
    ...(args.budget ? { budget: args.budget } : {}),
    ...(args.signal ? { signal: args.signal } : {}),
  };
}
