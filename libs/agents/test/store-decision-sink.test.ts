import { openStore, type Store } from '@aoe/store';
import { dropTestSchema, testDatabaseUrl, uniqueName } from '@aoe/testing';
import { AgentGuard, StoreDecisionSink, type Brain, type DecideRequest } from '../src';

interface Input {
  table: string;
}
interface Choice {
  mode: 'append' | 'merge';
}

const rules: Brain<Input, Choice> = {
  kind: 'rules',
  name: 'rules',
  propose: async () => ({ value: { mode: 'append' }, rationale: 'no confirmed key' }),
};

function request(model?: Brain<Input, Choice>): DecideRequest<Input, Choice> {
  return {
    agent: 'planner',
    subjectId: 'pipeline-pg',
    correlationId: 'run-pg',
    input: { table: 'orders' },
    rules,
    model,
    validate: (_input, value) =>
      value.mode === 'append' || value.mode === 'merge' ? { ok: true } : { ok: false, reasons: ['bad mode'] },
    describe: (value) => ({ mode: value.mode }),
    restore: (choice) => (choice.mode === 'append' || choice.mode === 'merge' ? { mode: choice.mode } : undefined),
  };
}

describe('StoreDecisionSink on PostgreSQL', () => {
  let url: string;
  let schema: string;
  let store: Store;

  beforeAll(async () => {
    url = await testDatabaseUrl();
    schema = uniqueName('agents');
    store = await openStore({ url, schema });
  });

  afterAll(async () => {
    await store?.close();
    await dropTestSchema(url, schema);
  });

  it('stores accepted and rejected decisions, readable by subject and reusable by input digest', async () => {
    const guard = new AgentGuard({ sinks: [new StoreDecisionSink(store.decisions)] });
    const failing: Brain<Input, Choice> = {
      kind: 'model',
      name: 'gpt-test',
      propose: async () => ({ value: { mode: 'delete-everything' as 'merge' }, rationale: 'injected' }),
    };
    const fallback = await guard.decide(request(failing));
    expect(fallback.decision.decidedBy).toBe('rules');

    const page = await store.decisions.list({ subjectId: 'pipeline-pg' });
    expect(page.items).toHaveLength(2);
    const rejected = page.items.find((d) => !d.accepted);
    expect(rejected).toMatchObject({
      decidedBy: 'model',
      model: 'gpt-test',
      rejectionReason: 'not allowed: bad mode',
      inputDigest: fallback.decision.inputDigest,
    });
    expect(await store.decisions.get(fallback.decision.id)).toEqual(fallback.decision);

    // A model decision recorded by one replica is reused by another (a new guard) from the store.
    const merging: Brain<Input, Choice> & { calls: number } = {
      kind: 'model',
      name: 'gpt-test',
      calls: 0,
      async propose() {
        this.calls++;
        return { value: { mode: 'merge' }, rationale: 'confirmed key' };
      },
    };
    const accepted = await guard.decide(request(merging));
    expect(accepted.decision).toMatchObject({ decidedBy: 'model', accepted: true });

    const replica = new AgentGuard({ sinks: [new StoreDecisionSink(store.decisions)], history: store.decisions });
    const reused = await replica.decide(request(merging));
    expect(merging.calls).toBe(1);
    expect(reused).toMatchObject({ value: { mode: 'merge' }, cached: true, decision: accepted.decision });
    expect((await store.decisions.list({ subjectId: 'pipeline-pg' })).items).toHaveLength(3);
  });
});
