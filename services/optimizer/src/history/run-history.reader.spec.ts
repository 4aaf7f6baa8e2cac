import type { PipelinePlan, RunSettings } from '@aoe/contracts';
import { openStore, type Store } from '@aoe/store';
import { RunHistoryReader } from './run-history.reader';

const settings: RunSettings = { batchSize: 10_000, readParallelism: 1, loadConcurrency: 1 };

function planOf(pipelineId: string, sourceId: string, version: number, mode: 'full' | 'incremental'): PipelinePlan {
  return {
    pipelineId,
    sourceId,
    version,
    target: { kind: 'warehouse', table: { schema: 'public', name: 'events' } },
    policy: { maskPii: false, schemaEvolution: 'additive' },
    tasks: [
      {
        id: 'extract',
        dependsOn: [],
        kind: 'extract',
        params: mode === 'incremental' ? { mode, cursorColumn: 'updated_at', partitions: 1 } : { mode, partitions: 1 },
      },
      { id: 'load', dependsOn: ['extract'], kind: 'load', params: { mode: 'append', schemaEvolution: 'additive' } },
    ],
    settings,
    createdBy: 'rules',
    createdAt: '2026-03-01T10:00:00.000Z',
  };
}

describe('RunHistoryReader', () => {
  let store: Store;

  beforeAll(async () => {
    store = await openStore({ url: 'pglite://memory' });
  });

  afterAll(async () => {
    await store.close();
  });

  it("gives each own run the extract mode of the plan version it ran, whatever the plans' order", async () => {
    const source = await store.sources.create({
      spec: { kind: 'file', path: 'events.csv', format: 'auto', compression: 'auto' },
    });
    await store.pipelines.create({
      id: 'history',
      sourceId: source.id,
      name: 'history',
      target: { kind: 'warehouse', table: { schema: 'public', name: 'events' } },
    });
    const modes: Array<'full' | 'incremental'> = ['incremental', 'full', 'incremental', 'full', 'full'];
    for (const [index, mode] of modes.entries()) await store.plans.save(planOf('history', source.id, index + 1, mode));
    const ran: Array<[number | undefined, 'succeeded' | 'failed']> = [
      [1, 'succeeded'],
      [4, 'failed'],
      [2, 'succeeded'],
      [undefined, 'succeeded'],
      [4, 'succeeded'],
    ];
    for (const [planVersion, status] of ran) {
      const run = await store.runs.create({ pipelineId: 'history', planVersion, trigger: 'manual', settings });
      await store.runs.updateStatus(run.id, 'running');
      await store.runs.updateStatus(run.id, status, {
        stats: { rowsRead: 10, rowsLoaded: 10, rowsQuarantined: 0, bytes: 100, durationMs: 5 },
      });
    }

    const observations = await new RunHistoryReader(store).read(planOf('history', source.id, 6, 'full'), undefined);
    const runs = (await store.runs.list({ pipelineId: 'history', limit: 10 })).items;
    const versionOf = new Map(runs.map((r) => [r.id, r.planVersion]));
    expect(observations).toHaveLength(5);
    for (const observation of observations) {
      const version = versionOf.get(observation.runId);
      expect(observation.extractMode).toBe(version === undefined ? undefined : modes[version - 1]);
    }
  });
});
