import type { PipelinePlan } from '@aoe/contracts';
import type { RecoveryOverrides } from '@aoe/store';

/**
 * The plan a recovered run executes: the stored plan with recovery's
 * overrides. A smaller batch size changes how rows are cut, never which rows
 * load; `onBadRows: 'quarantine'` turns every validation that fails the run
 * into one that quarantines the bad rows with their reason.
 */
export function applyRunOverrides(plan: PipelinePlan, overrides: RecoveryOverrides | undefined): PipelinePlan {
  if (!overrides || (overrides.batchSize === undefined && overrides.onBadRows === undefined)) return plan;
  return {
    ...plan,
    settings: overrides.batchSize === undefined ? plan.settings : { ...plan.settings, batchSize: overrides.batchSize },
    tasks:
      overrides.onBadRows === 'quarantine'
        ? plan.tasks.map((task) =>
            task.kind === 'validate' ? { ...task, params: { ...task.params, onFailure: 'quarantine' as const } } : task,
          )
        : plan.tasks,
  };
}
