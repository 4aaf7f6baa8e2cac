import type { Finding } from '../detection/finding';
import { checkJudgement, describeJudgement, RulesMonitorBrain } from './rules-monitor.brain';

const finding = (overrides: Partial<Finding> = {}): Finding => ({
  kind: 'volume-drop',
  pipelineId: 'orders',
  runId: 'r1',
  at: '2026-03-01T00:00:00.000Z',
  summary: 'Volume dropped.',
  score: 1.2,
  evidence: { value: 1 },
  ...overrides,
});

describe('the monitor rules brain', () => {
  const brain = new RulesMonitorBrain();

  it('raises every finding, critical from twice past the band', async () => {
    expect((await brain.propose(finding())).value).toEqual({
      raise: true,
      severity: 'warning',
      message: 'Volume dropped.',
    });
    expect((await brain.propose(finding({ score: 2 }))).value.severity).toBe('critical');
    for (const kind of ['schema-drift', 'freshness', 'duration-spike', 'null-rate-jump'] as const) {
      expect((await brain.propose(finding({ kind, score: 3 }))).value.severity).toBe('critical');
    }
    for (const kind of ['volume-spike', 'failure-trend', 'run-failed', 'needs-attention'] as const) {
      expect((await brain.propose(finding({ kind, score: 9 }))).value.severity).toBe('warning');
    }
    expect((await brain.propose(finding())).rationale).toContain('volume-drop: Volume dropped.');
  });

  it('accepts only a judgement with a known severity, a message, and the run it is about', () => {
    const ok = { raise: true, severity: 'warning' as const, message: 'm' };
    expect(checkJudgement(finding(), ok)).toEqual({ ok: true });
    expect(checkJudgement(finding({ kind: 'freshness', runId: undefined }), ok)).toEqual({ ok: true });
    expect(
      checkJudgement(finding({ runId: undefined }), { raise: true, severity: 'loud' as never, message: ' ' }),
    ).toEqual({ ok: false, reasons: ['unknown severity', 'empty message', 'an alert about a run names it'] });
  });

  it('stores the judgement with the evidence', () => {
    expect(
      describeJudgement(finding({ runId: undefined }))({ raise: true, severity: 'warning', message: 'm' }),
    ).toEqual({
      raise: true,
      severity: 'warning',
      message: 'm',
      kind: 'volume-drop',
      runId: null,
      score: 1.2,
      evidence: { value: 1 },
    });
  });
});
