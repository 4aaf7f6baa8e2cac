import { randomUUID } from 'node:crypto';
import type { PipelinePlan } from '@aoe/contracts';
import { openStore, type Store } from '@aoe/store';
import { ActivatePlanUseCase } from './activate-plan.usecase';

describe('ActivatePlanUseCase', () => {
  let store: Store;
  let activate: ActivatePlanUseCase;

  beforeAll(async () => {
    store = await openStore({ url: 'pglite://memory' });
    activate = new ActivatePlanUseCase(store);
  });
  afterAll(async () => {
    await store.close();
  });

  async function pipelineWithPlan(): Promise<(version: number, loadMode?: 'append' | 'replace') => PipelinePlan> {
    const source = await store.sources.create({
      spec: { kind: 'file', path: `/data/${randomUUID()}.csv`, format: 'auto', compression: 'auto' },
    });
    const target = { kind: 'warehouse' as const, table: { schema: 'public', name: 'x' } };
    const pipeline = await store.pipelines.create({ sourceId: source.id, name: randomUUID(), target });
    return (version, loadMode = 'append') => ({
      pipelineId: pipeline.id,
      sourceId: source.id,
      version,
      target,
      policy: { maskPii: false, schemaEvolution: 'additive' },
      tasks: [
        { id: 'extract', kind: 'extract', dependsOn: [], params: { mode: 'full', partitions: 1 } },
        { id: 'load', kind: 'load', dependsOn: ['extract'], params: { mode: loadMode, schemaEvolution: 'additive' } },
      ],
      settings: { batchSize: 10, readParallelism: 1, loadConcurrency: 1 },
      createdBy: 'rules',
      createdAt: new Date().toISOString(),
    });
  }

  const message = (plan: PipelinePlan) => ({ plan, messageId: randomUUID(), subject: 'aoe.evt.plan.optimized' });

  it('stores the plan and points the pipeline at it; a different plan under that number goes to the next one', async () => {
    const planOf = await pipelineWithPlan();
    const { pipelineId } = planOf(1);
    await store.plans.save(planOf(1, 'replace'));
    await expect(activate.execute(message(planOf(1)))).resolves.toEqual({ status: 'activated', version: 2 });
    expect((await store.pipelines.get(pipelineId))?.currentPlanVersion).toBe(2);
    await expect(activate.execute(message(planOf(3)))).resolves.toEqual({ status: 'activated', version: 3 });
    expect((await store.pipelines.get(pipelineId))?.currentPlanVersion).toBe(3);
  });

  it('never moves the pipeline back to an older plan than its current one', async () => {
    const planOf = await pipelineWithPlan();
    const { pipelineId } = planOf(1);
    // The optimized plan is version 2; before the dispatcher activates it, the CLI's --mode made version 3 current.
    await store.plans.save(planOf(2));
    await store.plans.save(planOf(3, 'replace'));
    await store.pipelines.setCurrentPlanVersion(pipelineId, 3);
    await expect(activate.execute(message(planOf(2)))).resolves.toEqual({ status: 'activated', version: 2 });
    expect((await store.pipelines.get(pipelineId))?.currentPlanVersion).toBe(3);
  });
});
