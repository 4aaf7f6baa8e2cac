import type { Alert } from '@aoe/contracts';
import { uuidFromText } from '@aoe/messaging';
import type { RecoveryChoice, RecoveryInput } from '../policy/recovery-choice';

/** The alert that goes with a choice: one per failure (run, task, attempt), whichever replica or redelivery raises it. */
export function recoveryAlert(input: RecoveryInput, choice: RecoveryChoice, decisionId: string): Alert | undefined {
  if (!choice.alert) return undefined;
  return {
    id: uuidFromText(`recovery|alert|${input.runId}|${input.taskId}|${input.attempt}`),
    pipelineId: input.pipelineId,
    runId: input.runId,
    kind: choice.alert.kind,
    severity: choice.alert.severity,
    message: `Run ${input.runId} failed (${input.failure.class}${input.taskId ? `, task "${input.taskId}"` : ''}, attempt ${input.attempt}): ${choice.reason}.`,
    evidence: {
      action: choice.action,
      failureClass: input.failure.class,
      classifiedBy: input.failure.basis,
      code: input.failure.code ?? null,
      error: input.failure.message.slice(0, 500),
      attempt: input.attempt,
      maxAttempts: input.settings.maxAttempts,
      decisionId,
    },
    at: input.now,
  };
}
