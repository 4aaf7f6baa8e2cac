import { Messages } from '@aoe/contracts';
import type { Bus } from '@aoe/messaging';
import type { RunRecord, Store } from '@aoe/store';

export interface ResumedRun {
  runId: string;
  pipelineId: string;
  status: RunRecord['status'];
}

/**
 * After a restore, runs the store shows `queued` or `running` have lost the
 * request that drove them (it was in the old streams). Asking for each again,
 * under the same run id, is what a dispatcher takes as "the replica that ran
 * it is gone": it resumes the run with its next attempt, and the load ledger
 * keeps any chain that had already committed from loading twice.
 */
export async function resumeUnfinishedRuns(store: Store, bus: Bus): Promise<ResumedRun[]> {
  const unfinished: RunRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.runs.list({ status: ['queued', 'running'], limit: 500, cursor });
    unfinished.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  for (const run of unfinished.reverse()) {
    await bus.publish(
      Messages.RunRequested,
      {
        runId: run.id,
        pipelineId: run.pipelineId,
        ...(run.planVersion ? { planVersion: run.planVersion } : {}),
        trigger: run.trigger,
        requestedBy: 'aoe admin resume-runs',
      },
      { correlationId: run.id },
    );
  }
  return unfinished.map((run) => ({ runId: run.id, pipelineId: run.pipelineId, status: run.status }));
}
