import type { LoadMode, PipelinePlan, PlanTask, TransformOp, ValidationRule } from '@aoe/contracts';
import { PlanError } from '../errors';

export type OnFailure = 'fail' | 'quarantine';

export type EngineStage =
  | { kind: 'transform'; taskId?: string; operations: TransformOp[] }
  | { kind: 'validate'; taskId?: string; rules: ValidationRule[]; onFailure: OnFailure };

/**
 * What the engine runs as one stream: extract, the transform and validate
 * stages in dependency order, load. Built from a plan by `taskSpecFromPlan`,
 * or by hand (benchmarks, tests).
 */
export interface EngineTaskSpec {
  pipelineId: string;
  /** The checkpoint's stream name; the source stream's name when absent. */
  stream?: string;
  extract: { mode: 'full' | 'incremental'; cursorColumn?: string; partitions?: number };
  stages: EngineStage[];
  load: { mode: LoadMode; primaryKey?: string[]; schemaEvolution?: 'additive' | 'any' };
  batchSize: number;
  /**
   * What a row that fails a cast or an expression does. Default: `quarantine`
   * when any validate stage quarantines (the plan quarantines), else `fail`.
   */
  onTransformFailure?: OnFailure;
}

type TaskOf<K extends PlanTask['kind']> = Extract<PlanTask, { kind: K }>;

/**
 * The chain of tasks that ends in one load task (the only one, or `loadTaskId`),
 * fused into one spec: the extract it depends on, then every transform and
 * validate task between them in dependency order.
 */
export function taskSpecFromPlan(plan: PipelinePlan, loadTaskId?: string): EngineTaskSpec {
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const loads = plan.tasks.filter((t): t is TaskOf<'load'> => t.kind === 'load');
  const load = loadTaskId === undefined ? loads : loads.filter((t) => t.id === loadTaskId);
  if (load.length !== 1) {
    const message =
      loadTaskId === undefined
        ? `the plan has ${loads.length} load tasks; name the one to run`
        : `the plan has no load task "${loadTaskId}"`;
    throw new PlanError([{ where: 'plan', message }]);
  }

  // Depth-first post-order from the load task: every task after the tasks it depends on.
  const ordered: PlanTask[] = [];
  const visited = new Set<string>();
  const visit = (id: string): void => {
    if (visited.has(id)) return;
    visited.add(id);
    const task = byId.get(id);
    if (!task) throw new PlanError([{ where: 'plan', message: `unknown task "${id}"` }]);
    for (const dep of task.dependsOn) visit(dep);
    ordered.push(task);
  };
  visit(load[0].id);

  const extracts = ordered.filter((t): t is TaskOf<'extract'> => t.kind === 'extract');
  if (extracts.length !== 1) {
    throw new PlanError([
      { where: 'plan', message: `load task "${load[0].id}" depends on ${extracts.length} extract tasks; expected 1` },
    ]);
  }
  // An incremental extract without a cursorColumn is for files and objects (new objects by last-modified); runTask checks it against the source.
  const extract = extracts[0];

  const stages: EngineStage[] = [];
  for (const task of ordered) {
    if (task.kind === 'transform')
      stages.push({ kind: 'transform', taskId: task.id, operations: task.params.operations });
    if (task.kind === 'validate') {
      stages.push({ kind: 'validate', taskId: task.id, rules: task.params.rules, onFailure: task.params.onFailure });
    }
  }

  return {
    pipelineId: plan.pipelineId,
    extract: {
      mode: extract.params.mode,
      cursorColumn: extract.params.cursorColumn,
      partitions: extract.params.partitions,
    },
    stages,
    load: {
      mode: load[0].params.mode,
      primaryKey: load[0].params.primaryKey,
      schemaEvolution: load[0].params.schemaEvolution,
    },
    batchSize: plan.settings.batchSize,
  };
}

/** Whether transform failures are quarantined: explicitly, or because some validate stage quarantines. */
export function transformFailurePolicy(spec: EngineTaskSpec): OnFailure {
  if (spec.onTransformFailure) return spec.onTransformFailure;
  return spec.stages.some((s) => s.kind === 'validate' && s.onFailure === 'quarantine') ? 'quarantine' : 'fail';
}
