import { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';
import {
  AgentDecision,
  Alert,
  ClassifiedError,
  DeadLetter,
  Id,
  PipelinePlan,
  RunSettings,
  RunStats,
  SourceSpec,
  TargetPolicy,
  TargetSpec,
} from '@aoe/contracts';
import { ApiKeyScope, MAX_PAGE_SIZE, PipelineStatus, RunRecordStatus, SourceStatus, TaskRunStatus } from '@aoe/store';

/** `?limit=&cursor=`, the same on every list. */
export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  cursor: z.string().min(1).optional(),
});

export const BooleanParam = z.enum(['true', 'false']).transform((v) => v === 'true');

export const CronExpression = z.string().refine(
  (value) => {
    try {
      CronExpressionParser.parse(value);
      return value.trim().split(/\s+/).length >= 5;
    } catch {
      return false;
    }
  },
  { message: 'not a valid cron expression (five fields, e.g. "0 * * * *")' },
);

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

const Timestamp = z.iso.datetime({ offset: true });

export const SourceRecordSchema = z.object({
  id: Id,
  name: z.string(),
  kind: z.string(),
  spec: SourceSpec,
  status: SourceStatus,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const PipelineRecordSchema = z.object({
  id: Id,
  sourceId: Id,
  name: z.string(),
  target: TargetSpec,
  policy: TargetPolicy,
  status: PipelineStatus,
  schedule: z.string().optional(),
  currentPlanVersion: z.number().int().optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const PipelineDetailSchema = PipelineRecordSchema.extend({
  plan: z
    .object({ version: z.number().int(), createdBy: z.string(), createdAt: Timestamp, plan: PipelinePlan })
    .nullable(),
  decisions: z.array(AgentDecision),
});

export const RunRecordSchema = z.object({
  id: Id,
  pipelineId: Id,
  planVersion: z.number().int().optional(),
  status: RunRecordStatus,
  trigger: z.string(),
  stats: RunStats.optional(),
  error: ClassifiedError.optional(),
  settings: RunSettings.optional(),
  cpuSeconds: z.number().optional(),
  peakMemoryBytes: z.number().optional(),
  bytesMoved: z.number().optional(),
  startedAt: Timestamp.optional(),
  finishedAt: Timestamp.optional(),
  createdAt: Timestamp,
});

export const TaskRunSchema = z.object({
  runId: Id,
  taskId: Id,
  status: TaskRunStatus,
  attempt: z.number().int(),
  rows: z.number().int().optional(),
  bytes: z.number().int().optional(),
  error: ClassifiedError.optional(),
  startedAt: Timestamp.optional(),
  finishedAt: Timestamp.optional(),
});

export const RunDetailSchema = RunRecordSchema.extend({ tasks: z.array(TaskRunSchema) });

export const RunAcceptedSchema = z.object({
  runId: Id,
  pipelineId: Id,
  status: z.literal('requested'),
  messageId: z.uuid(),
});

export const CancelAcceptedSchema = z.object({ runId: Id, status: z.literal('cancel-requested'), messageId: z.uuid() });

export const AlertRecordSchema = Alert.extend({ acknowledgedAt: Timestamp.optional() });

export const DeadLetterRecordSchema = z.object({ id: Id, deadLetter: DeadLetter, replayedAt: Timestamp.optional() });

export const ReplayResultSchema = z.object({
  id: Id,
  subject: z.string(),
  messageId: z.uuid(),
  duplicate: z.boolean(),
  replayedAt: Timestamp,
});

export const ConnectionCheckSchema = z.object({ ok: z.boolean(), message: z.string().optional() });

export const ApiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  scope: ApiKeyScope,
  createdBy: z.string(),
  createdAt: Timestamp,
  revokedAt: Timestamp.optional(),
});

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().describe('The key itself: shown once, never stored or shown again'),
});

export const ProblemSchema = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })).optional(),
});
