import { z } from 'zod';
import { Alert, RecoveryAction, type PlanTask } from '@aoe/contracts';
import type { Verdict } from '@aoe/agents';
import type { CircuitState, RecoveryOverrides } from '@aoe/store';
import type { Classification, FailureClass } from '../classification/classify-failure';
import type { RecoverySettings } from '../recovery-config';

/** Everything a recovery decision is made from; digested, cached by, and shown to a model. */
export interface RecoveryInput {
  runId: string;
  pipelineId: string;
  sourceId: string;
  /** The task that failed ('' when the run failed without a task failure). */
  taskId: string;
  taskKind?: PlanTask['kind'];
  /** The failing task is a validation that fails the run on bad rows (quarantining them would let it go on). */
  failsOnBadRows: boolean;
  /** The attempt that failed (1 = the first execution). */
  attempt: number;
  failure: Classification & { code?: string; message: string };
  /** The batch size the failed attempt ran with. */
  batchSize: number;
  /** Overrides earlier recovery actions gave this run. */
  overrides: RecoveryOverrides;
  /** Load tasks already finished (a resume skips them). */
  finishedLoads: number;
  /** Earlier failures of this run and what recovery did. */
  earlier: Array<{ attempt: number; taskId: string; failureClass: FailureClass; action?: RecoveryAction }>;
  /** Source-side failures (network, timeout, rate limit) of this source within the circuit window, this one included. */
  sourceFailures: number;
  circuit: { state: CircuitState; trips: number; retryAt?: string };
  /** The decision's time: circuit delays count from here. */
  now: string;
  settings: RecoverySettings;
}

/** What recovery does about one failure. */
export const RecoveryChoice = z.strictObject({
  action: RecoveryAction,
  /** How long after the command the run starts again (retry-like actions); the circuit's open time for open-circuit. */
  delayMs: z.number().int().min(0),
  batchSize: z.number().int().min(1).optional(),
  onBadRows: z.literal('quarantine').optional(),
  /** An alert to raise with the action. */
  alert: z.strictObject({ kind: Alert.shape.kind, severity: Alert.shape.severity }).optional(),
  reason: z.string().min(1).max(2000),
});
export type RecoveryChoice = z.infer<typeof RecoveryChoice>;

/** Actions that run the failed run again (through aoe.cmd.recovery.retry). */
export const RETRY_ACTIONS = ['retry', 'resume', 'shrink-batch', 'quarantine', 'open-circuit'] as const;
export type RetryAction = (typeof RETRY_ACTIONS)[number];
export const isRetryAction = (action: RecoveryChoice['action']): action is RetryAction =>
  (RETRY_ACTIONS as readonly string[]).includes(action);

/** What a model may propose (for unknown failures only): nothing that changes which rows load or the plan. */
export const MODEL_ACTIONS = ['retry', 'resume', 'shrink-batch', 'pause'] as const;

/**
 * The bounds every choice stays inside, from rules or a model: a known
 * action, retries only below the attempt limit, delays within the configured
 * caps, a batch only ever smaller and never below the minimum. For a model
 * (`baseline` is the rules choice): only MODEL_ACTIONS, no quarantine the
 * rules did not choose, and where the rules stop, the model stops too.
 */
export function checkChoice(input: RecoveryInput, value: RecoveryChoice, baseline?: RecoveryChoice): Verdict {
  const parsed = RecoveryChoice.safeParse(value);
  if (!parsed.success)
    return { ok: false, reasons: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  const s = input.settings;
  const reasons: string[] = [];
  const cap = value.action === 'open-circuit' ? s.circuitMaxCooldownMs : Math.max(s.maxDelayMs, s.circuitMaxCooldownMs);
  if (value.delayMs > cap) reasons.push(`delay ${value.delayMs} ms is above the cap of ${cap} ms`);
  if (isRetryAction(value.action) && input.attempt >= s.maxAttempts) {
    reasons.push(`attempt ${input.attempt} has reached the limit of ${s.maxAttempts}`);
  }
  if (value.batchSize !== undefined && (value.batchSize < s.minBatchSize || value.batchSize > input.batchSize)) {
    reasons.push(`batch size ${value.batchSize} is outside [${s.minBatchSize}, ${input.batchSize}]`);
  }
  if (value.action === 'shrink-batch' && (value.batchSize === undefined || value.batchSize >= input.batchSize)) {
    reasons.push('shrink-batch needs a smaller batch size');
  }
  if (baseline) {
    if (!(MODEL_ACTIONS as readonly string[]).includes(value.action)) {
      reasons.push(`a model may only choose ${MODEL_ACTIONS.join(', ')}`);
    }
    if (value.onBadRows && baseline.onBadRows !== value.onBadRows) reasons.push('a model may not quarantine rows');
    if (baseline.action === 'pause' && value.action !== 'pause') reasons.push('the rules stop here; so does a model');
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/** The choice as stored in the AgentDecision, with the evidence it was made from. */
export function describeChoice(input: RecoveryInput): (value: RecoveryChoice) => Record<string, unknown> {
  return (value) => ({
    ...value,
    failureClass: input.failure.class,
    evidence: {
      classifiedBy: input.failure.basis,
      classification: input.failure.detail,
      code: input.failure.code ?? null,
      message: input.failure.message.slice(0, 500),
      runId: input.runId,
      taskId: input.taskId || null,
      taskKind: input.taskKind ?? null,
      attempt: input.attempt,
      maxAttempts: input.settings.maxAttempts,
      batchSize: input.batchSize,
      finishedLoads: input.finishedLoads,
      earlier: input.earlier,
      sourceFailures: input.sourceFailures,
      circuit: input.circuit,
    },
  });
}

/** The value back from a stored choice (for the guard's reuse of a stored model decision). */
export function restoreChoice(choice: Record<string, unknown>): RecoveryChoice | undefined {
  const { failureClass: _c, evidence: _e, ...rest } = choice;
  const parsed = RecoveryChoice.safeParse(rest);
  return parsed.success ? parsed.data : undefined;
}
