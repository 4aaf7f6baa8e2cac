// The expression language (filter, derive)
export {
  compile,
  compileOrThrow,
  parse,
  tokenize,
  DEFAULT_LIMITS,
  FUNCTIONS,
  ExpressionError,
  EvaluationError,
} from './expression';
export type {
  CompileOptions,
  CompileResult,
  ColumnBinding,
  CompiledExpression,
  Expr,
  ExprType,
  ExpressionLimits,
  ExpressionProblem,
  SourcePosition,
  Token,
} from './expression';

// Transforms and validation
export {
  compileTransforms,
  type TransformOptions,
  type TransformOutput,
  type TransformPipeline,
} from './transforms/transform-pipeline';
export { castValue } from './transforms/cast';
export { masker, type MaskOptions, type MaskStyle } from './transforms/mask';
export {
  compileValidation,
  type ValidationOptions,
  type ValidationOutput,
  type Validator,
} from './validation/validator';
export { unsafePatternReasons } from './validation/safe-pattern';

// Quarantine
export { InMemoryQuarantineSink, type QuarantineRecord, type QuarantineSink } from './quarantine/quarantine-sink';
export {
  PostgresQuarantineSink,
  QUARANTINE_TABLE,
  type PostgresQuarantineOptions,
  type Queryable,
} from './quarantine/postgres-quarantine-sink';

// The task runtime
export {
  runTask,
  type PassThroughSink,
  type RunTaskOptions,
  type TaskPath,
  type TaskResult,
  type TaskStatus,
} from './runtime/run-task';
export { compileTask, type CompiledTask, type CompiledStage, type CompileTaskOptions } from './runtime/compile-task';
export {
  taskSpecFromPlan,
  transformFailurePolicy,
  type EngineTaskSpec,
  type EngineStage,
  type OnFailure,
} from './runtime/task-spec';
export { CursorTracker, targetCheckpointReader, type CheckpointReader } from './runtime/incremental';
export {
  engineFault,
  type EngineFaultContext,
  type EngineFaultHook,
  type EngineFaultPoint,
  type EngineFaultSpec,
} from './runtime/fault-injection';
export { readAhead } from './runtime/read-ahead';
export type { TaskMetrics, TaskProgress } from './runtime/task-metrics';

// Errors and their classification
export {
  EngineError,
  DataQualityError,
  PlanError,
  ResourceLimitError,
  CancelledError,
  InjectedFaultError,
  CastError,
  type RowFailure,
  type PlanProblem,
} from './errors';
export { classifyError, errorKindOf, ERROR_KINDS, RETRYABLE_BY_CLASS, type ErrorKind } from './classify-error';
