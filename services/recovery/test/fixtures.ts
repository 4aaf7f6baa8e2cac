import { randomUUID } from 'node:crypto';
import type { ClassifiedError, PipelinePlan } from '@aoe/contracts';
import { Messages, type Envelope, type MessageDefinition } from '@aoe/contracts';
import type { Bus } from '@aoe/messaging';
import type { Store } from '@aoe/store';
import { waitUntil } from '@aoe/testing';

/** Polls until the probe yields a value (`waitUntil` of the test kit, 20 s). */
export const eventually = <T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> =>
  waitUntil(probe, what);

/** Everything published on `filter`, as a separate consumer sees it. */
export async function record(
  bus: Bus,
  filter: string,
  definitions: MessageDefinition[],
): Promise<Array<Envelope<any>>> {
  const seen: Array<Envelope<any>> = [];
  await bus.subscribe({
    service: `observer_${randomUUID().slice(0, 8)}`,
    definitions,
    filterSubject: filter,
    handler: async (message) => {
      seen.push(message.envelope);
    },
  });
  return seen;
}

function planOf(pipelineId: string, sourceId: string): PipelinePlan {
  return {
    pipelineId,
    sourceId,
    version: 1,
    target: { kind: 'warehouse', table: { schema: 'public', name: 'orders' } },
    policy: { maskPii: false, schemaEvolution: 'additive' },
    tasks: [
      { id: 'extract', kind: 'extract', dependsOn: [], params: { mode: 'full', partitions: 1 } },
      {
        id: 'check',
        kind: 'validate',
        dependsOn: ['extract'],
        params: { rules: [{ rule: 'not-null', column: 'id' }], onFailure: 'fail' },
      },
      { id: 'load', kind: 'load', dependsOn: ['check'], params: { mode: 'append', schemaEvolution: 'additive' } },
    ],
    settings: { batchSize: 1_000, readParallelism: 1, loadConcurrency: 1 },
    createdBy: 'rules',
    createdAt: new Date().toISOString(),
  };
}

/** A registered source and an active pipeline on it, with plan version 1 current. */
export async function pipelineOn(store: Store, sourceId?: string): Promise<{ pipelineId: string; sourceId: string }> {
  const source =
    sourceId ??
    (
      await store.sources.create({
        spec: { kind: 'file', path: '/data/orders.csv', format: 'auto', compression: 'auto' },
      })
    ).id;
  const target = { kind: 'warehouse' as const, table: { schema: 'public', name: 'orders' } };
  const pipeline = await store.pipelines.create({ sourceId: source, name: `p-${randomUUID()}`, target });
  await store.plans.save(planOf(pipeline.id, source));
  await store.pipelines.setCurrentPlanVersion(pipeline.id, 1);
  return { pipelineId: pipeline.id, sourceId: source };
}

/**
 * A run that failed the way the dispatcher records it: task runs at `attempt`
 * (the failing task failed, the rest of its chain cancelled), the run failed
 * with the task's error. Returns the run.failed event to publish.
 */
export async function failedRun(
  store: Store,
  pipelineId: string,
  failure: { taskId: string; error: ClassifiedError; attempt?: number },
) {
  const runId = randomUUID();
  const attempt = failure.attempt ?? 1;
  await store.runs.create({ id: runId, pipelineId, planVersion: 1, trigger: 'manual' });
  await store.runs.updateStatus(runId, 'running');
  for (const taskId of ['extract', 'check', 'load']) {
    const failed = taskId === failure.taskId;
    await store.taskRuns.upsert({
      runId,
      taskId,
      attempt,
      status: failed ? 'failed' : 'cancelled',
      ...(failed ? { error: failure.error } : {}),
    });
  }
  const error = { ...failure.error, message: `task "${failure.taskId}": ${failure.error.message}` };
  await store.runs.updateStatus(runId, 'failed', { error });
  return {
    runId,
    event: { runId, pipelineId, status: 'failed' as const, at: new Date().toISOString(), error },
  };
}

/** Publishes a run.failed event `times` times with distinct envelope ids: what a replayed or doubled fact looks like. */
export async function publishFailed(
  bus: Bus,
  event: Awaited<ReturnType<typeof failedRun>>['event'],
  times = 1,
): Promise<void> {
  for (let i = 0; i < times; i++) {
    await bus.publish(Messages.RunFailed, event, { correlationId: event.runId, id: randomUUID() });
  }
}
