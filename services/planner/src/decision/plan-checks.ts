import { PipelinePlan, type TransformOp } from '@aoe/contracts';
import { canonicalJson, type Verdict } from '@aoe/agents';
import { compileTask, PlanError, taskSpecFromPlan } from '@aoe/engine';
import type { PlanningInput } from '../planning-input';
import { OBJECT_CURSOR, PII_CONFIDENCE } from '../rules/profile-facts';

/** The settings any draft may carry; the optimizer holds the same bounds. */
export const SETTINGS_BOUNDS = { batchSize: { min: 1_000, max: 200_000 }, readParallelism: 8, loadConcurrency: 8 } as const;

/**
 * What a plan must satisfy before it is used, whoever drafted it: the
 * contract; the identity, target and policy it was asked for; a task chain
 * the engine compiles against the profiled columns (known columns, parsable
 * expressions, safe patterns, a key in the output); a cursor the profile
 * offers; the policy (PII masked, schema evolution); the settings bounds.
 * For a model's plan, `baseline` is the rules plan: what rules mask stays masked.
 */
export function checkPlan(input: PlanningInput, value: PipelinePlan, baseline?: PipelinePlan): Verdict {
  const parsed = PipelinePlan.safeParse(value);
  if (!parsed.success) {
    return { ok: false, reasons: parsed.error.issues.map((i) => `${i.path.join('.') || '(plan)'}: ${i.message}`) };
  }
  const plan = parsed.data;
  const reasons: string[] = [];
  for (const field of ['pipelineId', 'sourceId', 'version', 'target', 'policy'] as const) {
    if (canonicalJson(plan[field]) !== canonicalJson(input[field])) reasons.push(`${field} must be the one asked for`);
  }

  const extracts = plan.tasks.filter((t) => t.kind === 'extract');
  const loads = plan.tasks.filter((t) => t.kind === 'load');
  if (extracts.length !== 1 || loads.length !== 1) {
    reasons.push(`a plan has exactly one extract and one load task (found ${extracts.length} and ${loads.length})`);
  } else {
    reasons.push(...engineProblems(input, plan));
  }
  for (const task of plan.tasks) {
    if (task.kind === 'extract' && task.params.cursorColumn !== undefined) {
      const cursor = task.params.cursorColumn;
      const objectSource = input.profile.kind === 's3' || input.profile.kind === 'file';
      if (!input.profile.cursorCandidates.includes(cursor) && !(objectSource && cursor === OBJECT_CURSOR)) {
        reasons.push(`cursor "${cursor}" is not one the profile offers`);
      }
    }
    if (task.kind === 'load' && task.params.schemaEvolution === 'any' && input.policy.schemaEvolution !== 'any') {
      reasons.push('the target policy allows only additive schema evolution');
    }
  }

  const { batchSize, readParallelism, loadConcurrency } = plan.settings;
  if (batchSize < SETTINGS_BOUNDS.batchSize.min || batchSize > SETTINGS_BOUNDS.batchSize.max) {
    reasons.push(`batchSize ${batchSize} is outside [${SETTINGS_BOUNDS.batchSize.min}, ${SETTINGS_BOUNDS.batchSize.max}]`);
  }
  if (readParallelism > SETTINGS_BOUNDS.readParallelism) {
    reasons.push(`readParallelism ${readParallelism} is above ${SETTINGS_BOUNDS.readParallelism}`);
  }
  if (loadConcurrency > SETTINGS_BOUNDS.loadConcurrency) {
    reasons.push(`loadConcurrency ${loadConcurrency} is above ${SETTINGS_BOUNDS.loadConcurrency}`);
  }

  const operations = plan.tasks.flatMap((t) => (t.kind === 'transform' ? t.params.operations : []));
  const pii = piiFlow(input, operations);
  reasons.push(...pii.problems);
  if (baseline) {
    for (const op of baseline.tasks.flatMap((t) => (t.kind === 'transform' ? t.params.operations : []))) {
      if (op.op === 'mask' && !pii.masked.has(op.column)) reasons.push(`"${op.column}" must stay masked, as the rules plan masks it`);
    }
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/** The engine compiles the plan's task chain against the profiled columns, as it will before the first row. */
function engineProblems(input: PlanningInput, plan: PipelinePlan): string[] {
  try {
    compileTask(
      taskSpecFromPlan(plan),
      input.profile.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, declaredType: c.declaredType })),
    );
    return [];
  } catch (error) {
    if (error instanceof PlanError) return error.problems.map((p) => `${p.where}: ${p.message}`);
    throw error;
  }
}

/**
 * Follows each PII column (when the policy asks for masking) through the
 * operations: renamed, it is still PII; copied by an expression before it is
 * masked, it leaks; dropped by a select, it is gone. What reaches the output
 * unmasked (hash or redact; `partial` shows part of the value) is refused.
 */
function piiFlow(input: PlanningInput, operations: readonly TransformOp[]): { masked: Set<string>; problems: string[] } {
  const problems: string[] = [];
  const masked = new Set<string>();
  if (!input.policy.maskPii) return { masked, problems };
  const sensitive = new Set(
    input.profile.columns.filter((c) => c.piiHints.some((h) => h.confidence >= PII_CONFIDENCE)).map((c) => c.name),
  );
  /** Current name -> the source column it carries. */
  const live = new Map(input.profile.columns.map((c) => [c.name, c.name]));
  const exposed = () => [...live].filter(([, origin]) => sensitive.has(origin) && !masked.has(origin));

  for (const op of operations) {
    switch (op.op) {
      case 'select':
        for (const name of [...live.keys()]) if (!op.columns.includes(name)) live.delete(name);
        break;
      case 'rename': {
        const origin = live.get(op.from);
        live.delete(op.from);
        if (origin !== undefined) live.set(op.to, origin);
        break;
      }
      case 'derive':
        for (const [name] of exposed().filter(([name]) => mentions(op.expr, name))) {
          problems.push(`derive "${op.column}" copies PII column "${name}" before it is masked`);
        }
        live.set(op.column, op.column);
        break;
      case 'mask': {
        const origin = live.get(op.column);
        if (origin !== undefined && op.style !== 'partial') masked.add(origin);
        break;
      }
      case 'cast':
      case 'filter':
      case 'dedupe':
        break;
    }
  }
  for (const [name] of exposed()) problems.push(`PII column "${name}" must be masked (hash or redact): the policy asks for it`);
  return { masked, problems };
}

/** Whether an expression names the column as a whole word (`email` is not in `email_ok`). */
function mentions(expr: string, column: string): boolean {
  const escaped = column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_])${escaped}($|[^A-Za-z0-9_])`).test(expr);
}
