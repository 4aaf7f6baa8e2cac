import { Messages, type AgentDecision } from '@aoe/contracts';
import { InProcessBus } from '@aoe/messaging';
import { BusDecisionSink, MemoryDecisionSink, StoreDecisionSink } from './decision-sinks';

const decision = (id = '4f8b8f43-3f7d-4a67-9e4e-0d1f2d5e6a7b'): AgentDecision => ({
  id,
  agent: 'planner',
  subjectId: 'pipeline-1',
  inputDigest: 'a'.repeat(64),
  choice: { tasks: 4 },
  rationale: 'rules',
  decidedBy: 'rules',
  latencyMs: 3,
  accepted: true,
  at: '2025-01-01T00:00:00.000Z',
});

describe('decision sinks', () => {
  it('StoreDecisionSink hands the decision to the repository', async () => {
    const record = jest.fn(async () => true);
    await new StoreDecisionSink({ record }).record(decision());
    expect(record).toHaveBeenCalledWith(decision());
  });

  it('BusDecisionSink publishes aoe.evt.decision.recorded, deduplicated by the decision id', async () => {
    const bus = new InProcessBus();
    const received: AgentDecision[] = [];
    const handle = await bus.subscribe({
      service: 'test',
      definitions: [Messages.DecisionRecorded],
      handler: async (message) => {
        received.push(message.payload);
      },
    });
    const publish = jest.spyOn(bus, 'publish');
    const sink = new BusDecisionSink(bus);
    await sink.record(decision());
    await sink.record(decision());
    await sink.record({ ...decision('not-a-uuid'), correlationId: 'run-7' });

    expect(publish.mock.calls[0][2]).toEqual({ correlationId: 'pipeline-1', id: decision().id });
    expect(publish.mock.calls[2][2]).toEqual({ correlationId: 'run-7' });
    for (let i = 0; i < 50 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(received.map((d) => d.id)).toEqual([decision().id, 'not-a-uuid']);
    await handle.stop();
    await bus.close();
  });

  it('MemoryDecisionSink keeps decisions in order', async () => {
    const sink = new MemoryDecisionSink();
    await sink.record(decision('a'));
    await sink.record(decision('b'));
    expect(sink.decisions.map((d) => d.id)).toEqual(['a', 'b']);
  });
});
