import { z } from 'zod';
import { ClassifiedError, Id, IsoDateTime } from './common';
import { PipelinePlan, RunSettings } from './pipeline-plan';
import { SourceProfile } from './source-profile';
import { SourceSpec } from './source-spec';
import { TargetPolicy, TargetSpec } from './target-spec';

/** aoe.cmd.source.analyze: profile a registered source. */
export const AnalyzeSource = z.strictObject({
  sourceId: Id,
  spec: SourceSpec,
  /** When the analysis is for a pipeline, the planner continues with this target. */
  pipeline: z.strictObject({ pipelineId: Id, target: TargetSpec, policy: TargetPolicy.optional() }).optional(),
});
export type AnalyzeSource = z.infer<typeof AnalyzeSource>;

/** aoe.evt.source.profiled */
export const SourceProfiled = z.strictObject({
  sourceId: Id,
  profile: SourceProfile,
  pipeline: AnalyzeSource.shape.pipeline,
});
export type SourceProfiled = z.infer<typeof SourceProfiled>;

/** What the recovery agent may choose for a failed run (docs/recovery.md). */
export const RecoveryAction = z.enum([
  'retry',
  'resume',
  'shrink-batch',
  'quarantine',
  'replan',
  'open-circuit',
  'pause',
]);
export type RecoveryAction = z.infer<typeof RecoveryAction>;

/** The error code of a run the dispatcher refused because its source's circuit is open (recovery defers it). */
export const CIRCUIT_OPEN_CODE = 'CIRCUIT_OPEN';

/**
 * aoe.cmd.recovery.retry: run a failed run again once `delayMs` after the
 * command was published. Load tasks an earlier attempt finished are not run
 * again; the others run with the next attempt number and the overrides.
 */
export const RecoveryRetry = z.strictObject({
  runId: Id,
  pipelineId: Id,
  /** The task that failed, when a task did. */
  taskId: Id.optional(),
  /** The attempt that failed: the command is stale once the run has moved past it. */
  attempt: z.number().int().min(1),
  delayMs: z.number().int().min(0).max(3_600_000),
  action: RecoveryAction.extract(['retry', 'resume', 'shrink-batch', 'quarantine', 'open-circuit']),
  /** Read and load in batches of this many rows instead of the plan's. */
  batchSize: RunSettings.shape.batchSize.optional(),
  /** Rows that fail a validation are quarantined with their reason instead of failing the run. */
  onBadRows: z.literal('quarantine').optional(),
  reason: z.string().min(1).max(2000),
  decisionId: Id,
});
export type RecoveryRetry = z.infer<typeof RecoveryRetry>;

/** aoe.cmd.recovery.pause-pipeline: stop scheduling a pipeline until a person resumes it. */
export const RecoveryPausePipeline = z.strictObject({
  pipelineId: Id,
  runId: Id.optional(),
  reason: z.string().min(1).max(2000),
  decisionId: Id,
});
export type RecoveryPausePipeline = z.infer<typeof RecoveryPausePipeline>;

/** aoe.evt.plan.drafted and aoe.evt.plan.optimized */
export const PlanMessage = z.strictObject({ plan: PipelinePlan });
export type PlanMessage = z.infer<typeof PlanMessage>;

/** aoe.cmd.run.requested */
export const RunRequested = z.strictObject({
  runId: Id,
  pipelineId: Id,
  planVersion: z.number().int().min(1).optional(),
  trigger: z.enum(['manual', 'schedule', 'api', 'recovery']),
  requestedBy: z.string().optional(),
});
export type RunRequested = z.infer<typeof RunRequested>;

/** aoe.cmd.run.cancel */
export const RunCancelRequested = z.strictObject({ runId: Id, reason: z.string().min(1) });
export type RunCancelRequested = z.infer<typeof RunCancelRequested>;

export const RunStats = z.strictObject({
  rowsRead: z.number().int().min(0),
  rowsLoaded: z.number().int().min(0),
  rowsQuarantined: z.number().int().min(0),
  bytes: z.number().int().min(0),
  durationMs: z.number().min(0),
});
export type RunStats = z.infer<typeof RunStats>;

export const RunStatus = z.enum(['started', 'succeeded', 'failed', 'cancelled']);
export type RunStatus = z.infer<typeof RunStatus>;

/** aoe.evt.run.<status> */
export const RunEvent = z.strictObject({
  runId: Id,
  pipelineId: Id,
  status: RunStatus,
  at: IsoDateTime,
  stats: RunStats.optional(),
  error: ClassifiedError.optional(),
});
export type RunEvent = z.infer<typeof RunEvent>;

export const TaskStatus = z.enum(['started', 'progress', 'succeeded', 'failed']);
export type TaskStatus = z.infer<typeof TaskStatus>;

/** aoe.evt.task.<status> */
export const TaskEvent = z.strictObject({
  runId: Id,
  pipelineId: Id,
  taskId: Id,
  status: TaskStatus,
  attempt: z.number().int().min(1),
  at: IsoDateTime,
  rows: z.number().int().min(0).optional(),
  bytes: z.number().int().min(0).optional(),
  error: ClassifiedError.optional(),
});
export type TaskEvent = z.infer<typeof TaskEvent>;

/** aoe.evt.decision.recorded: why a pipeline looks as it does. */
export const AgentDecision = z.strictObject({
  id: Id,
  agent: z.enum(['source-analysis', 'planner', 'optimizer', 'dispatcher', 'monitor', 'recovery']),
  /** The pipeline, run or source the decision is about. */
  subjectId: Id,
  correlationId: Id.optional(),
  inputDigest: z.string().regex(/^[a-f0-9]{64}$/, 'a sha256 hex digest'),
  choice: z.record(z.string(), z.unknown()),
  rationale: z.string(),
  decidedBy: z.enum(['rules', 'model']),
  model: z.string().optional(),
  latencyMs: z.number().min(0),
  accepted: z.boolean(),
  rejectionReason: z.string().optional(),
  at: IsoDateTime,
});
export type AgentDecision = z.infer<typeof AgentDecision>;

/** aoe.evt.alert.raised */
export const Alert = z.strictObject({
  id: Id,
  pipelineId: Id.optional(),
  runId: Id.optional(),
  kind: z.enum([
    'volume-drop',
    'volume-spike',
    'duration-spike',
    'null-rate-jump',
    'schema-drift',
    'freshness',
    'failure-trend',
    'run-failed',
    'needs-attention',
  ]),
  severity: z.enum(['info', 'warning', 'critical']),
  message: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  at: IsoDateTime,
});
export type Alert = z.infer<typeof Alert>;

/** aoe.dlq.<service>: a message a service could not handle, with why. */
export const DeadLetter = z.strictObject({
  service: z.string().min(1),
  originalSubject: z.string(),
  /** The original message body as UTF-8 text (base64 when it is not valid UTF-8). */
  originalData: z.string(),
  originalEncoding: z.enum(['utf-8', 'base64']),
  originalHeaders: z.record(z.string(), z.string()).default({}),
  reason: z.string(),
  kind: z.enum(['invalid-message', 'handler-failed']),
  attempts: z.number().int().min(0),
  stream: z.string().optional(),
  streamSequence: z.number().int().min(0).optional(),
  failedAt: IsoDateTime,
});
export type DeadLetter = z.infer<typeof DeadLetter>;
