import type { Store } from '@aoe/store';

/** The attempt a run is at: the highest attempt of its task runs. */
export async function currentAttempt(store: Pick<Store, 'taskRuns'>, runId: string): Promise<number> {
  const tasks = (await store.taskRuns.listByRun(runId, { limit: 500 })).items;
  return Math.max(1, ...tasks.map((t) => t.attempt));
}
