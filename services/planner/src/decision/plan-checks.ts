import { PipelinePlan } from '@aoe/contracts';
import type { Verdict } from '@aoe/agents';
import { compileTask, PlanError, taskSpecFromPlan } from '@aoe/engine';
import type { PlanningInput } from '../planning-input';

/** The settings any draft may carry; the optimizer holds the same bounds. */
export const SETTINGS_BOUNDS = {
  batchSize: { min: 1_000, max: 200_000 },
  readParallelism: 8,
  loadConcurrency: 8,
} as const;

/**
 * The planner's checks, on top of `validatePlanSafety` (src/llm: identity,
 * target, policy, PII, cursor, load modes): the settings stay inside the
 * bounds, and the engine compiles the task chain against the profiled columns
 * exactly as it will before the first row (known columns, parsable
 * expressions, patterns that cannot backtrack catastrophically, a load key in
 * the output). The service asks the guard to apply both to every plan.
 */
export function checkPlan(input: PlanningInput, value: PipelinePlan): Verdict {
  const parsed = PipelinePlan.safeParse(value);
  if (!parsed.success) {
    return { ok: false, reasons: parsed.error.issues.map((i) => `${i.path.join('.') || '(plan)'}: ${i.message}`) };
  }
  const plan = parsed.data;
  const reasons: string[] = [];
  const { batchSize, readParallelism, loadConcurrency } = plan.settings;
  if (batchSize < SETTINGS_BOUNDS.batchSize.min || batchSize > SETTINGS_BOUNDS.batchSize.max) {
    reasons.push(
      `batchSize ${batchSize} is outside [${SETTINGS_BOUNDS.batchSize.min}, ${SETTINGS_BOUNDS.batchSize.max}]`,
    );
  }
  if (readParallelism > SETTINGS_BOUNDS.readParallelism) {
    reasons.push(`readParallelism ${readParallelism} is above ${SETTINGS_BOUNDS.readParallelism}`);
  }
  if (loadConcurrency > SETTINGS_BOUNDS.loadConcurrency) {
    reasons.push(`loadConcurrency ${loadConcurrency} is above ${SETTINGS_BOUNDS.loadConcurrency}`);
  }
  try {
    const columns = input.profile.columns.map((c) => ({
      name: c.name,
      type: c.type,
      nullable: c.nullable,
      declaredType: c.declaredType,
    }));
    compileTask(taskSpecFromPlan(plan), columns);
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    reasons.push(...error.problems.map((p) => `${p.where}: ${p.message}`));
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}
