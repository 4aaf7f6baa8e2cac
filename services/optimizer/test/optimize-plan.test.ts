import { randomUUID } from 'node:crypto';
import { Messages, type PipelinePlan, type RunSettings, type SourceProfile } from '@aoe/contracts';
import type { AgentGuardApi } from '@aoe/agents';
import type { InboundMessage } from '@aoe/messaging';
import { createTestMesh, type TestMesh } from '@aoe/service-kit/testing';
import { systemClock, type Store } from '@aoe/store';
import { OptimizerModule } from '../src';
import { AGENT_GUARD } from '@aoe/agents';
import { RunHistoryReader } from '../src/history/run-history.reader';
import { OptimizerConfig } from '../src/optimizer-config';
import { BOUNDS } from '../src/tuning/bounds';
import { seededRandom } from '../src/tuning/seeded-random';
import { DraftNotStoredError, OptimizePlanUseCase } from '../src/usecases/optimize-plan/optimize-plan.usecase';

const profileOf = (sourceId: string, overrides: Partial<SourceProfile> = {}): SourceProfile => ({
  sourceId,
  kind: 'postgres',
  profiledAt: '2026-03-01T10:00:00.000Z',
  columns: [
    { name: 'id', type: 'bigint', nullable: false, nullRate: 0, distinctEstimate: 9000, piiHints: [] },
    { name: 'label', type: 'string', nullable: false, nullRate: 0, distinctEstimate: 9000, piiHints: [] },
    { name: 'updated_at', type: 'timestamptz', nullable: false, nullRate: 0, distinctEstimate: 9000, piiHints: [] },
  ],
  primaryKeyCandidates: [['id']],
  primaryKeyConfirmed: true,
  cursorCandidates: ['updated_at'],
  rowCountEstimate: 3_000_000,
  sampleSize: 10_000,
  durationMs: 40,
  ...overrides,
});

const draftOf = (pipelineId: string, sourceId: string, version = 1): PipelinePlan => ({
  pipelineId,
  sourceId,
  version,
  target: { kind: 'warehouse', table: { schema: 'public', name: pipelineId } },
  policy: { maskPii: false, schemaEvolution: 'additive' },
  tasks: [
    {
      id: 'extract',
      dependsOn: [],
      kind: 'extract',
      params: { mode: 'incremental', cursorColumn: 'updated_at', partitions: 2 },
    },
    { id: 'transform', dependsOn: ['extract'], kind: 'transform', params: { operations: [] } },
    {
      id: 'validate',
      dependsOn: ['transform'],
      kind: 'validate',
      params: { rules: [{ rule: 'unique', columns: ['id'] }], onFailure: 'fail' },
    },
    {
      id: 'load',
      dependsOn: ['validate'],
      kind: 'load',
      params: { mode: 'merge', primaryKey: ['id'], schemaEvolution: 'additive' },
    },
  ],
  settings: { batchSize: 10_000, readParallelism: 2, loadConcurrency: 1 },
  createdBy: 'rules',
  createdAt: '2026-03-01T10:00:01.000Z',
});

/** A registered source with a profile, a pipeline and its drafted plan v1, as the planner leaves them. */
async function seedPipeline(
  store: Store,
  pipelineId: string,
  profile: Partial<SourceProfile> = {},
): Promise<PipelinePlan> {
  const source = await store.sources.create({
    spec: { kind: 'file', path: `${randomUUID()}.csv`, format: 'auto', compression: 'auto' },
  });
  await store.profiles.record(profileOf(source.id, profile));
  const plan = draftOf(pipelineId, source.id);
  await store.pipelines.create({ id: pipelineId, sourceId: source.id, name: pipelineId, target: plan.target });
  await store.plans.save(plan);
  await store.pipelines.setCurrentPlanVersion(pipelineId, 1);
  return plan;
}

/** A finished run with its settings and resources, as the dispatcher records it. */
async function seedRun(
  store: Store,
  pipelineId: string,
  settings: RunSettings,
  result: { rows: number; cpuSeconds: number; failed?: boolean; peakMemoryBytes?: number },
): Promise<void> {
  const run = await store.runs.create({ pipelineId, planVersion: 1, trigger: 'schedule', settings });
  await store.runs.updateStatus(run.id, 'running');
  await store.runs.updateStatus(run.id, result.failed ? 'failed' : 'succeeded', {
    stats: {
      rowsRead: result.rows,
      rowsLoaded: result.rows,
      rowsQuarantined: 0,
      bytes: result.rows * 200,
      durationMs: result.cpuSeconds * 800,
    },
    cpuSeconds: result.cpuSeconds,
    peakMemoryBytes: result.peakMemoryBytes ?? 200 * 1024 ** 2,
    bytesMoved: result.rows * 200,
    ...(result.failed
      ? { error: { class: 'resource-exhaustion', message: 'heap out of memory', retryable: false } }
      : {}),
  });
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('optimizer: aoe.evt.plan.drafted -> aoe.evt.plan.optimized', () => {
  let mesh: TestMesh;
  let optimizer: Awaited<ReturnType<TestMesh['start']>>;
  const optimized: Array<InboundMessage<{ plan: PipelinePlan }>> = [];

  beforeAll(async () => {
    mesh = await createTestMesh('opt');
    optimizer = await mesh.start('optimizer', [OptimizerModule]);
    await optimizer.platform.bus.subscribe({
      service: 'optimized-probe',
      definitions: [Messages.PlanOptimized],
      handler: async (m) => {
        optimized.push(m);
      },
    });
  });
  afterAll(() => mesh.stop());

  /** The use case with its own exploration settings (the module's comes from the environment). */
  const useCase = (explorationRate: number, seed = 'test') =>
    new OptimizePlanUseCase(
      optimizer.platform.store,
      optimizer.platform.bus,
      optimizer.app.get<AgentGuardApi>(AGENT_GUARD),
      optimizer.app.get(RunHistoryReader),
      new OptimizerConfig(explorationRate, seed),
      systemClock,
    );
  const commandFor = (plan: PipelinePlan) => ({
    plan,
    messageId: randomUUID(),
    subject: Messages.PlanDrafted.subject,
    correlationId: `req-${plan.pipelineId}`,
  });

  it('optimizes a drafted plan into the next version, publishes it and records why', async () => {
    const { store, bus } = optimizer.platform;
    const draft = await seedPipeline(store, 'fresh');
    const { envelope } = await bus.publish(Messages.PlanDrafted, { plan: draft }, { correlationId: 'req-fresh' });

    const message = await until(() => optimized.find((m) => m.payload.plan.pipelineId === 'fresh'), 'plan.optimized');
    expect(message.envelope.causationId).toBe(envelope.id);
    const plan = message.payload.plan;
    expect(plan.version).toBe(2);
    expect(plan.tasks.slice(1)).toEqual(draft.tasks.slice(1));
    expect(plan.settings.batchSize).toBeGreaterThanOrEqual(BOUNDS.batchSize.min);
    // The event goes out inside the optimizer's transaction: the commit may land a moment after it.
    const stored = await until(async () => (await store.plans.get('fresh', 2))?.plan, 'plan version 2 stored');
    expect(stored).toEqual(plan);
    expect((await store.pipelines.get('fresh'))?.currentPlanVersion).toBe(2);

    const decisions = (await store.decisions.list({ subjectId: 'fresh', agent: 'optimizer' })).items;
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ decidedBy: 'rules', accepted: true, correlationId: 'req-fresh' });
    expect(decisions[0].rationale).toContain('No run history');
    expect(decisions[0].choice).toMatchObject({ settings: plan.settings, evidence: { settings: { basis: 'rules' } } });
  });

  it('picks the batch size with the best observed throughput', async () => {
    const { store } = optimizer.platform;
    const draft = await seedPipeline(store, 'learned');
    const slow = { batchSize: 5_000, readParallelism: 2, loadConcurrency: 1 };
    const fast = { batchSize: 50_000, readParallelism: 2, loadConcurrency: 1 };
    await seedRun(store, 'learned', slow, { rows: 1_000_000, cpuSeconds: 100 });
    await seedRun(store, 'learned', slow, { rows: 1_200_000, cpuSeconds: 110 });
    await seedRun(store, 'learned', fast, { rows: 1_000_000, cpuSeconds: 25 });
    await seedRun(store, 'learned', fast, { rows: 1_100_000, cpuSeconds: 28 });

    const result = await useCase(0).execute(commandFor(draft));
    expect(result.status).toBe('optimized');
    if (result.status !== 'optimized') return;
    expect(result.plan.settings).toEqual(fast);
    expect(result.decision.choice).toMatchObject({
      explored: false,
      evidence: { history: { own: 4 }, settings: { basis: 'own runs', best: { settings: fast, runs: 2 } } },
    });
    expect(result.decision.rationale).toContain('Best observed: batch 50,000');
  });

  it('learns from a pipeline with a similar profile when it has no runs of its own', async () => {
    const { store } = optimizer.platform;
    await seedPipeline(store, 'veteran');
    const proven = { batchSize: 20_000, readParallelism: 1, loadConcurrency: 2 };
    await seedRun(store, 'veteran', proven, { rows: 2_000_000, cpuSeconds: 20 });
    const draft = await seedPipeline(store, 'newcomer', { rowCountEstimate: 2_500_000 });
    const result = await useCase(0).execute(commandFor(draft));
    expect(result).toMatchObject({ status: 'optimized', plan: { settings: proven } });
    expect(result.status === 'optimized' && result.decision.rationale).toContain('pipelines with a similar profile');
  });

  it('never leaves its bounds over many random histories', async () => {
    const { store } = optimizer.platform;
    const random = seededRandom('integration-property');
    for (let i = 0; i < 12; i++) {
      const id = `random-${i}`;
      const draft = await seedPipeline(store, id, { rowCountEstimate: Math.floor(random() * 5e7) });
      const runs = Math.floor(random() * 8);
      for (let r = 0; r < runs; r++) {
        await seedRun(
          store,
          id,
          {
            batchSize: 1 + Math.floor(random() * 1_000_000),
            readParallelism: 1 + Math.floor(random() * 64),
            loadConcurrency: 1 + Math.floor(random() * 64),
          },
          {
            rows: Math.floor(random() * 5e6),
            cpuSeconds: random() * 500,
            failed: random() < 0.2,
            peakMemoryBytes: Math.floor(random() * 4e9),
          },
        );
      }
      const result = await useCase(random(), `seed-${i}`).execute(commandFor(draft));
      expect(result.status).toBe('optimized');
      if (result.status !== 'optimized') continue;
      const { batchSize, readParallelism, loadConcurrency } = result.plan.settings;
      expect(batchSize).toBeGreaterThanOrEqual(BOUNDS.batchSize.min);
      expect(batchSize).toBeLessThanOrEqual(BOUNDS.batchSize.max);
      expect(readParallelism).toBeLessThanOrEqual(BOUNDS.readParallelism.max);
      expect(loadConcurrency).toBeLessThanOrEqual(BOUNDS.loadConcurrency.max);
      expect(result.plan.tasks[0]).toMatchObject({ params: { partitions: readParallelism } });
      expect(result.decision.accepted).toBe(true);
    }
  });

  it('acts once per message, skips a superseded draft, and retries a draft not stored yet', async () => {
    const { store } = optimizer.platform;
    const draft = await seedPipeline(store, 'lifecycle');
    const command = commandFor(draft);
    expect(await useCase(0).execute(command)).toMatchObject({ status: 'optimized' });
    expect(await useCase(0).execute(command)).toEqual({ status: 'duplicate' });

    // v2 (the optimized plan) is newer than the v1 draft: optimizing v1 again would overwrite it.
    expect(await useCase(0).execute(commandFor(draft))).toEqual({ status: 'superseded', latestVersion: 2 });

    const early = commandFor({ ...draft, version: 7 });
    await expect(useCase(0).execute(early)).rejects.toThrow(DraftNotStoredError);
    expect(await store.inbox.has('optimizer', early.messageId)).toBe(false);
  });

  it('reads its exploration settings from the environment', () => {
    expect(OptimizerConfig.fromEnvironment({})).toEqual(new OptimizerConfig(0.2, 'aoe'));
    expect(OptimizerConfig.fromEnvironment({ AOE_OPTIMIZER_EXPLORATION: '0', AOE_OPTIMIZER_SEED: 'x' })).toEqual(
      new OptimizerConfig(0, 'x'),
    );
    expect(() => OptimizerConfig.fromEnvironment({ AOE_OPTIMIZER_EXPLORATION: '2' })).toThrow(
      /AOE_OPTIMIZER_EXPLORATION/,
    );
  });
});
