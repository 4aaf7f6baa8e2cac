import type { ColumnSchema } from '@aoe/connectors';
import { PlanError, type PlanProblem } from '../errors';
import { compileTransforms, type TransformOptions, type TransformPipeline } from '../transforms/transform-pipeline';
import { compileValidation, type ValidationOptions, type Validator } from '../validation/validator';
import type { EngineTaskSpec, OnFailure } from './task-spec';

export type CompiledStage =
  | { kind: 'transform'; taskId?: string; pipeline: TransformPipeline }
  | { kind: 'validate'; taskId?: string; validator: Validator; onFailure: OnFailure };

export interface CompiledTask {
  stages: CompiledStage[];
  /** The columns the sink receives, known before the first row. */
  outputColumns: ColumnSchema[];
}

export interface CompileTaskOptions {
  transforms?: TransformOptions;
  validation?: ValidationOptions;
}

/**
 * Compiles every stage of a task against the source's columns, each against
 * the columns the stage before it produces. All problems of all stages are
 * reported together in one PlanError. Also usable without running anything:
 * a planner can check a plan against a profiled schema.
 */
export function compileTask(
  spec: EngineTaskSpec,
  inputColumns: readonly ColumnSchema[],
  options: CompileTaskOptions = {},
): CompiledTask {
  const stages: CompiledStage[] = [];
  const problems: PlanProblem[] = [];
  let columns: readonly ColumnSchema[] = inputColumns;
  for (const stage of spec.stages) {
    const prefix = stage.taskId ? `task "${stage.taskId}" ` : '';
    try {
      if (stage.kind === 'transform') {
        const pipeline = compileTransforms(stage.operations, columns, options.transforms);
        stages.push({ kind: 'transform', taskId: stage.taskId, pipeline });
        columns = pipeline.outputColumns;
      } else {
        const validator = compileValidation(stage.rules, columns, options.validation);
        stages.push({ kind: 'validate', taskId: stage.taskId, validator, onFailure: stage.onFailure });
      }
    } catch (error) {
      if (!(error instanceof PlanError)) throw error;
      problems.push(...error.problems.map((p) => ({ ...p, where: `${prefix}${p.where}` })));
    }
  }
  const names = new Set(columns.map((c) => c.name));
  for (const key of spec.load.primaryKey ?? []) {
    if (!names.has(key)) {
      problems.push({
        where: 'load',
        message: `primary key column "${key}" is not in the output`,
        unknownColumn: true,
      });
    }
  }
  if (problems.length > 0) throw new PlanError(problems);
  return { stages, outputColumns: [...columns] };
}
