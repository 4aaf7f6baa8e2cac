import { PipelinePlan, type TransformOp, type ValidationRule } from '@aoe/contracts';

/**
 * The planner's choice as stored in its AgentDecision: a summary a person
 * reads (`aoe decisions`), and the whole plan, from which the guard can
 * rebuild the value (`restorePlan`) when it reuses a stored decision.
 */
export function describePlan(plan: PipelinePlan): Record<string, unknown> {
  const summary: Record<string, unknown> = { version: plan.version, settings: plan.settings };
  for (const task of plan.tasks) {
    switch (task.kind) {
      case 'extract':
        summary.extract = task.params.cursorColumn
          ? `${task.params.mode} on "${task.params.cursorColumn}", ${task.params.partitions} partition(s)`
          : `${task.params.mode}, ${task.params.partitions} partition(s)`;
        break;
      case 'transform':
        summary.transforms = task.params.operations.map(describeOp);
        break;
      case 'validate':
        summary.validations = task.params.rules.map(describeRule);
        summary.onFailure = task.params.onFailure;
        break;
      case 'load':
        summary.load = task.params.primaryKey
          ? `${task.params.mode} on (${task.params.primaryKey.join(', ')})`
          : task.params.mode;
        break;
    }
  }
  return { summary, plan };
}

export function restorePlan(choice: Record<string, unknown>): PipelinePlan | undefined {
  const parsed = PipelinePlan.safeParse(choice.plan);
  return parsed.success ? parsed.data : undefined;
}

function describeOp(op: TransformOp): string {
  switch (op.op) {
    case 'select':
      return `select ${op.columns.join(', ')}`;
    case 'rename':
      return `rename ${op.from} -> ${op.to}`;
    case 'cast':
      return `cast ${op.column} to ${op.to}`;
    case 'filter':
      return `filter ${op.expr}`;
    case 'derive':
      return `derive ${op.column} = ${op.expr}`;
    case 'dedupe':
      return `dedupe on (${op.key.join(', ')})`;
    case 'mask':
      return `mask ${op.column} (${op.style})`;
  }
}

function describeRule(rule: ValidationRule): string {
  switch (rule.rule) {
    case 'not-null':
      return `not-null ${rule.column}`;
    case 'unique':
      return `unique (${rule.columns.join(', ')})`;
    case 'range':
      return `range ${rule.column} [${rule.min ?? '-inf'}, ${rule.max ?? '+inf'}]`;
    case 'pattern':
      return `pattern ${rule.column} /${rule.regex}/`;
    case 'row-count':
      return `row-count [${rule.min ?? 0}, ${rule.max ?? '+inf'}]`;
  }
}
