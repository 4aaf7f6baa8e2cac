import {
  AgentGuard,
  createChatModel,
  MemoryDecisionSink,
  startScriptedChatServer,
  type ScriptedChatServer,
} from '@aoe/agents';
import {
  checkChoice,
  DEFAULT_RECOVERY_SETTINGS,
  describeChoice,
  llmRecoveryBrain,
  RulesRecoveryBrain,
  type RecoveryInput,
} from '../src';

const input = (patch: Partial<RecoveryInput> = {}): RecoveryInput => ({
  runId: `run-${Math.random()}`,
  pipelineId: 'orders',
  sourceId: 'src-1',
  taskId: 'load',
  taskKind: 'load',
  failsOnBadRows: false,
  attempt: 2,
  failure: { class: 'unknown', basis: 'none', detail: 'nothing tells', message: 'the sink said: E_STRANGE' },
  batchSize: 1_000,
  overrides: {},
  finishedLoads: 0,
  earlier: [{ attempt: 1, taskId: 'load', failureClass: 'unknown', action: 'retry' }],
  sourceFailures: 0,
  circuit: { state: 'closed', trips: 0 },
  now: '2026-03-01T12:00:00.000Z',
  settings: DEFAULT_RECOVERY_SETTINGS,
  ...patch,
});

describe('a model advising on unknown failures, through the guard, against an OpenAI-compatible server', () => {
  let server: ScriptedChatServer;
  let brain: ReturnType<typeof llmRecoveryBrain>;

  beforeAll(async () => {
    server = await startScriptedChatServer();
    const model = await createChatModel(
      { model: 'recovery-model', baseURL: server.baseURL, apiKey: { env: 'RECOVERY_LLM_KEY' }, timeoutMs: 5_000 },
      { RECOVERY_LLM_KEY: 'sk-recovery-test' },
    );
    brain = llmRecoveryBrain({ model, name: 'recovery-model' });
  });
  afterAll(() => server.close());

  function decide(given: RecoveryInput) {
    const sink = new MemoryDecisionSink();
    const guard = new AgentGuard({ sinks: [sink] });
    const result = guard.decide({
      agent: 'recovery',
      subjectId: given.pipelineId,
      correlationId: given.runId,
      input: given,
      rules: new RulesRecoveryBrain(() => 0.5),
      model: brain,
      validate: checkChoice,
      describe: describeChoice(given),
    });
    return { sink, result };
  }

  it('takes advice within the bounds: a shrink the rules would not have tried, recorded as the model’s', async () => {
    server.script({
      toolCall: {
        arguments: {
          action: 'shrink-batch',
          delayMs: 500,
          batchSize: 400,
          rationale: 'the sink chokes on big batches',
        },
      },
    });
    const { result } = decide(input());
    const { value, decision } = await result;
    expect(value).toMatchObject({ action: 'shrink-batch', delayMs: 500, batchSize: 400 });
    expect(decision).toMatchObject({ agent: 'recovery', decidedBy: 'model', model: 'recovery-model', accepted: true });
    // The model saw the failure as data, never connection details.
    const data = JSON.stringify(server.requests.at(-1)?.body.messages);
    expect(data).toContain('E_STRANGE');
    expect(data).not.toContain('src-1');
  });

  it('refuses advice outside the bounds and falls back to the rules, recording both', async () => {
    server.script({
      toolCall: { arguments: { action: 'quarantine', delayMs: 99_999_999, rationale: 'drop the bad rows' } },
    });
    const { sink, result } = decide(input());
    const { value, decision, rejected } = await result;
    expect(value).toMatchObject({ action: 'retry' });
    expect(decision).toMatchObject({ decidedBy: 'rules', accepted: true });
    expect(rejected).toMatchObject({ decidedBy: 'model', accepted: false });
    expect(rejected?.rejectionReason).toMatch(/may only choose|above the cap/);
    expect(sink.decisions).toHaveLength(2);
  });

  it('falls back to the rules when the model is down', async () => {
    server.script({ status: 500 });
    const { value, decision } = await decide(input()).result;
    expect(value.action).toBe('retry');
    expect(decision.decidedBy).toBe('rules');
  });
});
