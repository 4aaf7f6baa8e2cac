import { z } from 'zod';
import { Id, Identifier, IsoDateTime, LogicalType } from './common';
import { TargetPolicy, TargetSpec } from './target-spec';

export const TransformOp = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('select'), columns: z.array(Identifier).min(1) }),
  z.strictObject({ op: z.literal('rename'), from: Identifier, to: Identifier }),
  z.strictObject({ op: z.literal('cast'), column: Identifier, to: LogicalType }),
  /** `expr` is in the engine's safe expression language; it is parsed, never evaluated as code. */
  z.strictObject({ op: z.literal('filter'), expr: z.string().min(1).max(2000) }),
  z.strictObject({ op: z.literal('derive'), column: Identifier, expr: z.string().min(1).max(2000) }),
  z.strictObject({ op: z.literal('dedupe'), key: z.array(Identifier).min(1) }),
  z.strictObject({ op: z.literal('mask'), column: Identifier, style: z.enum(['hash', 'redact', 'partial']) }),
]);
export type TransformOp = z.infer<typeof TransformOp>;

export const ValidationRule = z.discriminatedUnion('rule', [
  z.strictObject({ rule: z.literal('not-null'), column: Identifier }),
  z.strictObject({ rule: z.literal('unique'), columns: z.array(Identifier).min(1) }),
  z.strictObject({
    rule: z.literal('range'),
    column: Identifier,
    min: z.number().optional(),
    max: z.number().optional(),
  }),
  z.strictObject({ rule: z.literal('pattern'), column: Identifier, regex: z.string().min(1).max(500) }),
  z.strictObject({
    rule: z.literal('row-count'),
    min: z.number().int().min(0).optional(),
    max: z.number().int().min(0).optional(),
  }),
]);
export type ValidationRule = z.infer<typeof ValidationRule>;

export const LoadMode = z.enum(['append', 'replace', 'merge']);
export type LoadMode = z.infer<typeof LoadMode>;

const TaskBase = { id: Id, dependsOn: z.array(Id).default([]) };

export const ExtractTask = z.strictObject({
  ...TaskBase,
  kind: z.literal('extract'),
  params: z.strictObject({
    mode: z.enum(['full', 'incremental']),
    cursorColumn: Identifier.optional(),
    partitions: z.number().int().min(1).max(64).default(1),
  }),
});
export const TransformTask = z.strictObject({
  ...TaskBase,
  kind: z.literal('transform'),
  params: z.strictObject({ operations: z.array(TransformOp) }),
});
export const ValidateTask = z.strictObject({
  ...TaskBase,
  kind: z.literal('validate'),
  params: z.strictObject({ rules: z.array(ValidationRule), onFailure: z.enum(['fail', 'quarantine']) }),
});
export const LoadTask = z.strictObject({
  ...TaskBase,
  kind: z.literal('load'),
  params: z.strictObject({
    mode: LoadMode,
    primaryKey: z.array(Identifier).min(1).optional(),
    schemaEvolution: z.enum(['additive', 'any']).default('additive'),
  }),
});
export const PlanTask = z.discriminatedUnion('kind', [ExtractTask, TransformTask, ValidateTask, LoadTask]);
export type PlanTask = z.infer<typeof PlanTask>;

export const RunSettings = z.strictObject({
  batchSize: z.number().int().min(1).max(1_000_000),
  readParallelism: z.number().int().min(1).max(64),
  loadConcurrency: z.number().int().min(1).max(64),
});
export type RunSettings = z.infer<typeof RunSettings>;

export const PipelinePlan = z
  .strictObject({
    pipelineId: Id,
    sourceId: Id,
    version: z.number().int().min(1),
    target: TargetSpec,
    policy: TargetPolicy.default({ maskPii: false, schemaEvolution: 'additive' }),
    tasks: z.array(PlanTask).min(1),
    settings: RunSettings,
    schedule: z.string().optional(),
    createdBy: z.enum(['rules', 'model']),
    createdAt: IsoDateTime,
  })
  .superRefine((plan, ctx) => {
    for (const problem of dagProblems(plan.tasks)) ctx.addIssue({ code: 'custom', path: ['tasks'], message: problem });
  });
export type PipelinePlan = z.infer<typeof PipelinePlan>;

/** Duplicate ids, unknown dependencies and cycles: what stops a task list from being a DAG. */
export function dagProblems(tasks: ReadonlyArray<{ id: string; dependsOn: readonly string[] }>): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const task of tasks) {
    if (ids.has(task.id)) problems.push(`duplicate task id "${task.id}"`);
    ids.add(task.id);
  }
  for (const task of tasks) {
    for (const dep of task.dependsOn) {
      if (!ids.has(dep)) problems.push(`task "${task.id}" depends on unknown task "${dep}"`);
    }
  }
  if (problems.length > 0) return problems;

  const deps = new Map(tasks.map((t) => [t.id, t.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      problems.push(`cycle: ${[...path, id].join(' -> ')}`);
      return;
    }
    state.set(id, 'visiting');
    for (const dep of deps.get(id) ?? []) visit(dep, [...path, id]);
    state.set(id, 'done');
  };
  for (const task of tasks) visit(task.id, []);
  return problems;
}
