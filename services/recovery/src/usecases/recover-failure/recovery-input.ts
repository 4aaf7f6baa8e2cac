import type { ClassifiedError, PipelinePlan } from '@aoe/contracts';
import type { CircuitBreakerRecord, RecoveryActionRecord, RunRecord, TaskRunRecord } from '@aoe/store';
import type { Classification } from '../../classification/classify-failure';
import type { RecoveryInput } from '../../policy/recovery-choice';
import type { RecoverySettings } from '../../recovery-config';

/** What a failed run looks like to the policy: the failure, the run's and the source's history, the bounds. */
export function recoveryInputOf(facts: {
  run: RunRecord;
  plan: PipelinePlan;
  tasks: readonly TaskRunRecord[];
  failed: { taskId: string; attempt: number; failure: Classification; error?: ClassifiedError };
  earlier: readonly RecoveryActionRecord[];
  sourceFailures: number;
  circuit: CircuitBreakerRecord;
  now: Date;
  settings: RecoverySettings;
}): RecoveryInput {
  const { run, plan, failed, circuit } = facts;
  const task = plan.tasks.find((t) => t.id === failed.taskId);
  const loads = new Set(plan.tasks.filter((t) => t.kind === 'load').map((t) => t.id));
  return {
    runId: run.id,
    pipelineId: run.pipelineId,
    sourceId: plan.sourceId,
    taskId: failed.taskId,
    ...(task ? { taskKind: task.kind } : {}),
    failsOnBadRows: task?.kind === 'validate' && task.params.onFailure === 'fail',
    attempt: failed.attempt,
    failure: {
      ...failed.failure,
      ...(failed.error?.code ? { code: failed.error.code } : {}),
      message: failed.error?.message ?? '',
    },
    batchSize: run.settings?.batchSize ?? plan.settings.batchSize,
    overrides: facts.earlier.reduce((o, a) => ({ ...o, ...(a.overrides ?? {}) }), {}),
    finishedLoads: facts.tasks.filter((t) => loads.has(t.taskId) && t.status === 'succeeded').length,
    earlier: facts.earlier.map((a) => ({
      attempt: a.attempt,
      taskId: a.taskId,
      failureClass: a.failureClass,
      ...(a.action ? { action: a.action } : {}),
    })),
    sourceFailures: facts.sourceFailures,
    circuit: { state: circuit.state, trips: circuit.trips, ...(circuit.retryAt ? { retryAt: circuit.retryAt } : {}) },
    now: facts.now.toISOString(),
    settings: facts.settings,
  };
}
