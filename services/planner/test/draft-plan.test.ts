import { randomUUID } from 'node:crypto';
import { Messages, type PipelinePlan, type SourceProfile, type SourceProfiled } from '@aoe/contracts';
import type { AgentGuardApi, Brain } from '@aoe/agents';
import { NonRetryableError, type InboundMessage } from '@aoe/messaging';
import { createTestMesh, type TestMesh } from '@aoe/service-kit/testing';
import { systemClock } from '@aoe/store';
import { PlannerModule } from '../src';
import { AGENT_GUARD } from '@aoe/agents';
import { PlanBrains } from '../src/decision/plan-brains';
import type { PlanningInput } from '../src/planning-input';
import { planFromProfile } from '../src/rules/rules-planner';
import { DraftPlanUseCase } from '../src/usecases/draft-plan/draft-plan.usecase';

const profileOf = (sourceId: string, overrides: Partial<SourceProfile> = {}): SourceProfile => ({
  sourceId,
  kind: 'postgres',
  profiledAt: '2026-03-01T10:00:00.000Z',
  columns: [
    {
      name: 'id',
      type: 'bigint',
      declaredType: 'int8',
      nullable: false,
      nullRate: 0,
      distinctEstimate: 9000,
      piiHints: [],
    },
    {
      name: 'email',
      type: 'string',
      declaredType: 'text',
      nullable: false,
      nullRate: 0,
      distinctEstimate: 9000,
      piiHints: [{ kind: 'email', evidence: 'name-and-values', confidence: 0.9 }],
    },
    {
      name: 'updated_at',
      type: 'timestamptz',
      declaredType: 'timestamptz',
      nullable: false,
      nullRate: 0,
      distinctEstimate: 9000,
      piiHints: [],
    },
  ],
  primaryKeyCandidates: [['id']],
  primaryKeyConfirmed: true,
  cursorCandidates: ['updated_at'],
  rowCountEstimate: 4_000_000,
  sampleSize: 10_000,
  durationMs: 40,
  ...overrides,
});

const target = { kind: 'warehouse' as const, table: { schema: 'public', name: 'customers' } };

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('planner: aoe.evt.source.profiled -> aoe.evt.plan.drafted', () => {
  let mesh: TestMesh;
  let planner: Awaited<ReturnType<TestMesh['start']>>;
  const drafted: Array<InboundMessage<{ plan: PipelinePlan }>> = [];

  beforeAll(async () => {
    mesh = await createTestMesh('pl');
    planner = await mesh.start('planner', [PlannerModule]);
    await planner.platform.bus.subscribe({
      service: 'drafted-probe',
      definitions: [Messages.PlanDrafted],
      handler: async (m) => {
        drafted.push(m);
      },
    });
  });
  afterAll(() => mesh.stop());

  const source = () =>
    planner.platform.store.sources.create({
      spec: { kind: 'file', path: `${randomUUID()}.csv`, format: 'auto', compression: 'auto' },
    });

  it('drafts, stores and publishes a plan for a pipeline, and records the decision', async () => {
    const { store, bus } = planner.platform;
    const { id: sourceId } = await source();
    const profile = profileOf(sourceId);
    const payload: SourceProfiled = {
      sourceId,
      profile,
      pipeline: { pipelineId: 'customers', target, policy: { maskPii: true, schemaEvolution: 'additive' } },
    };
    const { envelope } = await bus.publish(Messages.SourceProfiled, payload, { correlationId: 'req-customers' });

    const message = await until(() => drafted.find((m) => m.payload.plan.pipelineId === 'customers'), 'plan.drafted');
    expect(message.envelope.causationId).toBe(envelope.id);
    expect(message.envelope.correlationId).toBe('req-customers');
    const plan = message.payload.plan;
    const expected = planFromProfile({
      profile,
      target,
      policy: { maskPii: true, schemaEvolution: 'additive' },
      pipelineId: 'customers',
      sourceId,
      version: 1,
    }).plan;
    expect({ ...plan, createdAt: expected.createdAt }).toEqual(expected);

    const pipeline = await store.pipelines.get('customers');
    expect(pipeline).toMatchObject({ sourceId, currentPlanVersion: 1, policy: { maskPii: true } });
    expect((await store.plans.get('customers', 1))?.plan).toEqual(plan);
    expect(await store.inbox.has('planner', envelope.id)).toBe(true);

    const decisions = (await store.decisions.list({ subjectId: 'customers', agent: 'planner' })).items;
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ decidedBy: 'rules', accepted: true, correlationId: 'req-customers' });
    expect(decisions[0].rationale).toContain('Extract is incremental on "updated_at"');
    expect(decisions[0].choice).toMatchObject({
      summary: { load: 'merge on (id)', transforms: ['mask email (hash)'] },
    });
  });

  it('acts once per message, however often it arrives', async () => {
    const { store } = planner.platform;
    const { id: sourceId } = await source();
    const useCase = planner.app.get(DraftPlanUseCase);
    const command = {
      sourceId,
      profile: profileOf(sourceId),
      pipeline: { pipelineId: 'once', target },
      messageId: randomUUID(),
      subject: Messages.SourceProfiled.subject,
      correlationId: 'req-once',
    };
    const [first, second] = await Promise.all([useCase.execute(command), useCase.execute(command)]);
    expect([first.status, second.status].sort()).toEqual(['drafted', 'duplicate']);
    expect(await useCase.execute(command)).toEqual({ status: 'duplicate' });
    expect((await store.plans.list('once')).items.map((p) => p.version)).toEqual([1]);

    const replan = await useCase.execute({ ...command, messageId: randomUUID() });
    expect(replan).toMatchObject({ status: 'drafted', plan: { version: 2 } });
    expect((await store.pipelines.get('once'))?.currentPlanVersion).toBe(2);
  });

  it('skips a profile that is not for a pipeline', async () => {
    const { id: sourceId } = await source();
    const result = await planner.app.get(DraftPlanUseCase).execute({
      sourceId,
      profile: profileOf(sourceId),
      messageId: randomUUID(),
      subject: Messages.SourceProfiled.subject,
      correlationId: 'req-plain',
    });
    expect(result).toEqual({ status: 'skipped' });
  });

  it('refuses an unregistered source or a pipeline of another source, and leaves the message unrecorded', async () => {
    const { store } = planner.platform;
    const useCase = planner.app.get(DraftPlanUseCase);
    const base = { subject: Messages.SourceProfiled.subject, correlationId: 'req-bad' };
    const ghost = {
      ...base,
      sourceId: 'ghost',
      profile: profileOf('ghost'),
      pipeline: { pipelineId: 'ghostly', target },
      messageId: randomUUID(),
    };
    await expect(useCase.execute(ghost)).rejects.toThrow(NonRetryableError);
    expect(await store.inbox.has('planner', ghost.messageId)).toBe(false);
    expect((await store.decisions.list({ subjectId: 'ghostly' })).items).toEqual([]);

    const { id: otherSource } = await source();
    const stolen = {
      ...base,
      sourceId: otherSource,
      profile: profileOf(otherSource),
      pipeline: { pipelineId: 'customers', target },
      messageId: randomUUID(),
    };
    await expect(useCase.execute(stolen)).rejects.toThrow(/reads source/);
    expect(await store.inbox.has('planner', stolen.messageId)).toBe(false);
  });

  describe('with a model brain', () => {
    const modelPlanning = (propose: (input: PlanningInput) => PipelinePlan): Brain<PlanningInput, PipelinePlan> => ({
      kind: 'model',
      name: 'test-model',
      propose: async (input) => ({ value: propose(input), rationale: 'the model says so', tokens: 100 }),
    });
    const useCaseWith = (model: Brain<PlanningInput, PipelinePlan>) =>
      new DraftPlanUseCase(
        planner.platform.store,
        planner.platform.bus,
        planner.app.get<AgentGuardApi>(AGENT_GUARD),
        new PlanBrains(undefined, model),
        systemClock,
      );
    const commandFor = (sourceId: string, pipelineId: string) => ({
      sourceId,
      profile: profileOf(sourceId, { profiledAt: new Date().toISOString() }),
      pipeline: { pipelineId, target, policy: { maskPii: true, schemaEvolution: 'additive' as const } },
      messageId: randomUUID(),
      subject: Messages.SourceProfiled.subject,
      correlationId: `req-${pipelineId}`,
    });

    it('uses a valid model plan', async () => {
      const { id: sourceId } = await source();
      const model = modelPlanning((input) => {
        const { plan } = planFromProfile(input);
        return { ...plan, createdBy: 'model', settings: { ...plan.settings, batchSize: 20_000 } };
      });
      const result = await useCaseWith(model).execute(commandFor(sourceId, 'model-ok'));
      expect(result).toMatchObject({
        status: 'drafted',
        plan: { createdBy: 'model', settings: { batchSize: 20_000 } },
      });
      expect(result.status === 'drafted' && result.decision).toMatchObject({
        decidedBy: 'model',
        model: 'test-model',
        accepted: true,
      });
    });

    it('falls back to rules when the model leaves PII unmasked, and records the rejection', async () => {
      const { store } = planner.platform;
      const { id: sourceId } = await source();
      const model = modelPlanning((input) => {
        const { plan } = planFromProfile(input);
        return {
          ...plan,
          createdBy: 'model',
          tasks: plan.tasks.map((t) => (t.kind === 'transform' ? { ...t, params: { operations: [] } } : t)),
        };
      });
      const result = await useCaseWith(model).execute(commandFor(sourceId, 'model-leaky'));
      expect(result).toMatchObject({ status: 'drafted', plan: { createdBy: 'rules' } });
      const decisions = (await store.decisions.list({ subjectId: 'model-leaky' })).items;
      expect(decisions.map((d) => [d.decidedBy, d.accepted]).sort()).toEqual([
        ['model', false],
        ['rules', true],
      ]);
      expect(decisions.find((d) => !d.accepted)?.rejectionReason).toMatch(/"email" reaches the load unmasked/);
    });
  });
});
