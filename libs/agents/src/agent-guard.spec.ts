import type { AgentDecision } from '@aoe/contracts';
import { AgentGuard, type DecisionHistory } from './agent-guard';
import { DecisionNotRecordedError, RulesDecisionInvalidError } from './agent-guard.errors';
import type { Brain, DecideRequest, Proposal, Verdict } from './agent-guard.types';
import { MemoryDecisionSink } from './decision-sinks';
import { inputDigest } from './input-digest';

interface Input {
  rows: number;
  columns: string[];
}
interface Choice {
  batchSize: number;
}

class TestClock {
  current = Date.parse('2025-01-01T00:00:00.000Z');
  now(): Date {
    return new Date(this.current);
  }
}

function rulesBrain(batchSize = 1000, clock?: TestClock): Brain<Input, Choice> & { calls: number } {
  return {
    kind: 'rules',
    name: 'rules',
    calls: 0,
    async propose() {
      this.calls++;
      if (clock) clock.current += 5;
      return { value: { batchSize }, rationale: 'rows / 100' };
    },
  };
}

function modelBrain(
  answer: (input: Input, signal: AbortSignal) => Promise<Proposal<Choice>>,
  name = 'test-model',
): Brain<Input, Choice> & { calls: number } {
  return {
    kind: 'model',
    name,
    calls: 0,
    propose(input, signal) {
      this.calls++;
      return answer(input, signal);
    },
  };
}

const input: Input = { rows: 100_000, columns: ['id', 'email'] };

function request(overrides: Partial<DecideRequest<Input, Choice>> = {}): DecideRequest<Input, Choice> {
  return {
    agent: 'optimizer',
    subjectId: 'pipeline-1',
    correlationId: 'run-1',
    input,
    rules: rulesBrain(),
    validate: (_input, value): Verdict =>
      value.batchSize >= 1 && value.batchSize <= 50_000
        ? { ok: true }
        : { ok: false, reasons: ['batchSize out of bounds'] },
    describe: (value) => ({ batchSize: value.batchSize }),
    ...overrides,
  };
}

function setup(options: ConstructorParameters<typeof AgentGuard>[0] = {}) {
  const sink = new MemoryDecisionSink();
  const clock = new TestClock();
  let n = 0;
  const guard = new AgentGuard({ sinks: [sink], clock, newId: () => `decision-${++n}`, ...options });
  return { guard, sink, clock };
}

describe('AgentGuard', () => {
  it('decides by rules when no model is configured, and records the decision', async () => {
    const { guard, sink, clock } = setup();
    const rules = rulesBrain(1000, clock);
    const result = await guard.decide(request({ rules }));

    expect(result.value).toEqual({ batchSize: 1000 });
    expect(result.cached).toBe(false);
    expect(result.decision).toEqual<AgentDecision>({
      id: 'decision-1',
      agent: 'optimizer',
      subjectId: 'pipeline-1',
      correlationId: 'run-1',
      inputDigest: inputDigest(input),
      choice: { batchSize: 1000 },
      rationale: 'rows / 100',
      decidedBy: 'rules',
      latencyMs: 5,
      accepted: true,
      at: '2025-01-01T00:00:00.005Z',
    });
    expect(sink.decisions).toEqual([result.decision]);
  });

  it('uses an accepted model proposal, validated against the rules baseline', async () => {
    const { guard, sink } = setup();
    const validate = jest.fn((_i: Input, value: Choice, baseline?: Choice): Verdict => {
      void baseline;
      return value.batchSize <= 50_000 ? { ok: true } : { ok: false, reasons: ['too big'] };
    });
    const model = modelBrain(async () => ({ value: { batchSize: 5000 }, rationale: 'wide rows', tokens: 120 }));
    const result = await guard.decide(request({ model, validate }));

    expect(result.value).toEqual({ batchSize: 5000 });
    expect(result.decision).toMatchObject({
      decidedBy: 'model',
      model: 'test-model',
      accepted: true,
      rationale: 'wide rows',
    });
    expect(result.rejected).toBeUndefined();
    expect(validate).toHaveBeenLastCalledWith(input, { batchSize: 5000 }, { batchSize: 1000 });
    expect(sink.decisions).toHaveLength(1);
  });

  it('records a rejected proposal with its reasons and falls back to rules', async () => {
    const { guard, sink } = setup();
    const model = modelBrain(async () => ({ value: { batchSize: 9_000_000 }, rationale: 'go big' }));
    const result = await guard.decide(request({ model }));

    expect(result.value).toEqual({ batchSize: 1000 });
    expect(sink.decisions).toHaveLength(2);
    const [rejected, used] = sink.decisions;
    expect(rejected).toMatchObject({
      decidedBy: 'model',
      model: 'test-model',
      accepted: false,
      choice: { batchSize: 9_000_000 },
      rationale: 'go big',
      rejectionReason: 'not allowed: batchSize out of bounds',
    });
    expect(used).toMatchObject({ decidedBy: 'rules', accepted: true });
    expect(used.rationale).toContain('model test-model was not used: not allowed: batchSize out of bounds');
    expect(result.decision).toEqual(used);
    expect(result.rejected).toEqual(rejected);
  });

  it('rejects a model error, with secrets scrubbed from the reason', async () => {
    const { guard, sink } = setup();
    const model = modelBrain(async () => {
      throw new Error('401 from https://user:hunter2@llm.example/v1 with Bearer sk-abcdef1234567890');
    });
    const result = await guard.decide(request({ model }));

    expect(result.decision.decidedBy).toBe('rules');
    const reason = sink.decisions[0].rejectionReason ?? '';
    expect(reason).toMatch(/^the model failed: Error: 401/);
    expect(reason).not.toContain('hunter2');
    expect(reason).not.toContain('sk-abcdef1234567890');
    expect(sink.decisions[0].choice).toEqual({});
  });

  it('stops waiting at the time budget even when the model ignores the signal', async () => {
    const { guard, sink } = setup({ budget: { timeMs: 30 } });
    let sawAbort = false;
    const model = modelBrain(
      (_input, signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => (sawAbort = true));
          setTimeout(() => resolve({ value: { batchSize: 10 }, rationale: 'late' }), 2_000).unref();
        }),
    );
    const started = Date.now();
    const result = await guard.decide(request({ model }));

    expect(Date.now() - started).toBeLessThan(1_500);
    expect(sawAbort).toBe(true);
    expect(result.decision.decidedBy).toBe('rules');
    expect(sink.decisions[0].rejectionReason).toBe('no answer within the time budget of 30 ms');
  });

  it('rejects a proposal that spent more tokens than the budget (per request override)', async () => {
    const { guard, sink } = setup();
    const model = modelBrain(async () => ({ value: { batchSize: 10 }, rationale: 'ok', tokens: 900 }));
    const result = await guard.decide(request({ model, budget: { tokens: 500 } }));

    expect(result.decision.decidedBy).toBe('rules');
    expect(sink.decisions[0].rejectionReason).toBe('the model used 900 tokens; the budget is 500');
  });

  it("applies the model's own budget between the guard's and the request's", async () => {
    const { guard, sink } = setup({ budget: { tokens: 10_000 } });
    const model = {
      ...modelBrain(async () => ({ value: { batchSize: 10 }, rationale: 'ok', tokens: 900 })),
      budget: { tokens: 800 },
    };
    await guard.decide(request({ model }));
    expect(sink.decisions[0].rejectionReason).toBe('the model used 900 tokens; the budget is 800');
    expect((await guard.decide(request({ model, budget: { tokens: 1_000 } }))).decision.decidedBy).toBe('model');
  });

  it('rejects when validate or describe throws on the proposal', async () => {
    const { guard, sink } = setup();
    const model = modelBrain(async () => ({ value: null as unknown as Choice, rationale: 'garbage' }));
    const result = await guard.decide(request({ model }));

    expect(result.decision.decidedBy).toBe('rules');
    expect(sink.decisions[0].rejectionReason).toMatch(/^not allowed: TypeError/);
    expect(sink.decisions[0].choice).toEqual({ undescribable: true });
  });

  it('throws when the rules value fails its own validation, recording nothing', async () => {
    const { guard, sink } = setup();
    await expect(guard.decide(request({ rules: rulesBrain(0) }))).rejects.toBeInstanceOf(RulesDecisionInvalidError);
    expect(sink.decisions).toEqual([]);
  });

  it('throws the caller’s abort instead of falling back', async () => {
    const { guard, sink } = setup();
    const controller = new AbortController();
    const model = modelBrain(
      () =>
        new Promise((resolve) => {
          setTimeout(() => resolve({ value: { batchSize: 10 }, rationale: 'late' }), 1_000).unref();
        }),
    );
    const deciding = guard.decide(request({ model, signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('shutting down')), 10);
    await expect(deciding).rejects.toThrow('shutting down');
    expect(sink.decisions).toEqual([]);

    await expect(guard.decide(request({ signal: controller.signal }))).rejects.toThrow('shutting down');
  });

  it('returns the cached decision for the same input without asking a brain again', async () => {
    const { guard, sink } = setup();
    const model = modelBrain(async () => ({ value: { batchSize: 5000 }, rationale: 'model' }));
    const first = await guard.decide(request({ model }));
    const reordered = { columns: ['id', 'email'], rows: 100_000 };
    const second = await guard.decide(request({ model, input: reordered }));

    expect(model.calls).toBe(1);
    expect(second.cached).toBe(true);
    expect(second.decision).toEqual(first.decision);
    expect(second.value).toEqual(first.value);
    expect(second.value).not.toBe(first.value);
    expect(sink.decisions).toHaveLength(1);
  });

  it('records a new decision naming the reused one when the subject differs', async () => {
    const { guard, sink } = setup();
    const rules = rulesBrain();
    const first = await guard.decide(request({ rules }));
    const second = await guard.decide(request({ rules, subjectId: 'pipeline-2', correlationId: undefined }));

    expect(rules.calls).toBe(1);
    expect(second.cached).toBe(true);
    expect(second.decision.id).not.toBe(first.decision.id);
    expect(second.decision).toMatchObject({ subjectId: 'pipeline-2', inputDigest: first.decision.inputDigest });
    expect(second.decision.correlationId).toBeUndefined();
    expect(second.decision.rationale).toContain(`reused decision ${first.decision.id}`);
    expect(sink.decisions).toHaveLength(2);
  });

  it('does not cache a rules fallback: the model is asked again next time', async () => {
    const { guard } = setup();
    let fail = true;
    const model = modelBrain(async () => {
      if (fail) throw new Error('503');
      return { value: { batchSize: 7 }, rationale: 'recovered' };
    });
    expect((await guard.decide(request({ model }))).decision.decidedBy).toBe('rules');
    fail = false;
    expect((await guard.decide(request({ model }))).decision.decidedBy).toBe('model');
    expect((await guard.decide(request({ model }))).cached).toBe(true);
    expect(model.calls).toBe(2);
  });

  it('asks the model once for concurrent identical requests', async () => {
    const { guard, sink } = setup();
    const model = modelBrain(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return { value: { batchSize: 5000 }, rationale: 'model' };
    });
    const [a, b] = await Promise.all([guard.decide(request({ model })), guard.decide(request({ model }))]);
    expect(model.calls).toBe(1);
    expect(a.decision).toEqual(b.decision);
    expect(sink.decisions).toHaveLength(1);
  });

  it('passes a failure to concurrent waiters', async () => {
    const { guard } = setup();
    const rules: Brain<Input, Choice> = {
      kind: 'rules',
      name: 'rules',
      propose: () => new Promise((_, reject) => setTimeout(() => reject(new Error('rules broke')), 10)),
    };
    const results = await Promise.allSettled([guard.decide(request({ rules })), guard.decide(request({ rules }))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('keeps nothing when the cache size is 0', async () => {
    const { guard } = setup({ cacheSize: 0 });
    const rules = rulesBrain();
    await guard.decide(request({ rules }));
    await guard.decide(request({ rules }));
    expect(rules.calls).toBe(2);
  });

  it('forgets cached decisions on clearCache()', async () => {
    const { guard } = setup();
    const rules = rulesBrain();
    await guard.decide(request({ rules }));
    guard.clearCache();
    await guard.decide(request({ rules }));
    expect(rules.calls).toBe(2);
  });

  describe('with decision history', () => {
    const stored = (overrides: Partial<AgentDecision> = {}): AgentDecision => ({
      id: 'stored-1',
      agent: 'optimizer',
      subjectId: 'pipeline-1',
      correlationId: 'run-1',
      inputDigest: inputDigest(input),
      choice: { batchSize: 4242 },
      rationale: 'from yesterday',
      decidedBy: 'model',
      model: 'test-model',
      latencyMs: 800,
      accepted: true,
      at: '2024-12-31T00:00:00.000Z',
      ...overrides,
    });
    const restore = (choice: Record<string, unknown>) =>
      typeof choice.batchSize === 'number' ? { batchSize: choice.batchSize } : undefined;

    it('reuses an accepted model decision from the store without asking the model', async () => {
      const history: DecisionHistory = { latestForInput: jest.fn(async () => stored()) };
      const { guard, sink } = setup({ history });
      const model = modelBrain(async () => ({ value: { batchSize: 1 }, rationale: 'new' }));
      const result = await guard.decide(request({ model, restore }));

      expect(model.calls).toBe(0);
      expect(history.latestForInput).toHaveBeenCalledWith('optimizer', inputDigest(input));
      expect(result).toMatchObject({ value: { batchSize: 4242 }, cached: true, decision: stored() });
      expect(sink.decisions).toEqual([]);

      // ...and from memory afterwards.
      await guard.decide(request({ model, restore }));
      expect(history.latestForInput).toHaveBeenCalledTimes(1);
    });

    it('asks the model when the stored decision is from another model, cannot be restored or is no longer valid', async () => {
      for (const found of [
        stored({ model: 'other-model' }),
        stored({ choice: { nothing: true } }),
        stored({ choice: { batchSize: 9_000_000 } }),
        undefined,
      ]) {
        const { guard } = setup({ history: { latestForInput: async () => found } });
        const model = modelBrain(async () => ({ value: { batchSize: 1 }, rationale: 'new' }));
        expect((await guard.decide(request({ model, restore }))).value).toEqual({ batchSize: 1 });
        expect(model.calls).toBe(1);
      }
    });

    it('ignores a failing history lookup, with a warning', async () => {
      const warn = jest.fn();
      const { guard } = setup({
        history: { latestForInput: () => Promise.reject(new Error('db down')) },
        logger: { warn },
      });
      const model = modelBrain(async () => ({ value: { batchSize: 1 }, rationale: 'new' }));
      expect((await guard.decide(request({ model, restore }))).decision.decidedBy).toBe('model');
      expect(warn).toHaveBeenCalledWith(
        expect.objectContaining({ error: 'Error: db down' }),
        'decision history lookup failed',
      );
    });
  });

  it('logs a rejection without the proposal itself', async () => {
    const warn = jest.fn();
    const { guard } = setup({ logger: { warn } });
    const model = modelBrain(async () => ({ value: { batchSize: 9_000_000 }, rationale: 'go big' }));
    await guard.decide(request({ model }));
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({
        agent: 'optimizer',
        model: 'test-model',
        reason: 'not allowed: batchSize out of bounds',
      }),
      'model proposal rejected; using the rules decision',
    );
  });

  it('fails when a sink cannot record the decision', async () => {
    const ok = new MemoryDecisionSink();
    const { guard } = setup({ sinks: [ok, { record: () => Promise.reject(new Error('bus closed')) }] });
    const error = await guard.decide(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecisionNotRecordedError);
    expect((error as Error).message).toMatch(/^decision decision-1 was not recorded: bus closed/);
    expect(ok.decisions).toHaveLength(1);
  });

  it('works with the defaults (random ids, system clock, no sinks)', async () => {
    const result = await new AgentGuard().decide(request());
    expect(result.decision.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(result.decision.at)).toBeGreaterThan(0);
  });
});
