import { CIRCUIT_OPEN_CODE } from '@aoe/contracts';
import { DEFAULT_RECOVERY_SETTINGS } from '../recovery-config';
import type { FailureClass } from '../classification/classify-failure';
import { circuitCooldown, fullJitterBackoff } from './backoff';
import { checkChoice, type RecoveryChoice, type RecoveryInput } from './recovery-choice';
import { RulesRecoveryBrain } from './rules-recovery.brain';

const NOW = '2026-03-01T12:00:00.000Z';

function input(failureClass: FailureClass, patch: Partial<RecoveryInput> = {}): RecoveryInput {
  return {
    runId: 'run-1',
    pipelineId: 'orders',
    sourceId: 'src-1',
    taskId: 'extract',
    taskKind: 'extract',
    failsOnBadRows: false,
    attempt: 1,
    failure: { class: failureClass, basis: 'error-class', detail: 'test', message: 'failed' },
    batchSize: 1_000,
    overrides: {},
    finishedLoads: 0,
    earlier: [],
    sourceFailures: 1,
    circuit: { state: 'closed', trips: 0 },
    now: NOW,
    settings: DEFAULT_RECOVERY_SETTINGS,
    ...patch,
  };
}

/** random() = 1: the delay is the backoff ceiling, so the table can state it. */
const brain = new RulesRecoveryBrain(() => 1);
const decide = async (i: RecoveryInput) => (await brain.propose(i)).value;

describe('the rules recovery policy', () => {
  const table: Array<[string, RecoveryInput, Partial<RecoveryChoice>]> = [
    ['network, first attempt: retry after 1 s', input('transient-network'), { action: 'retry', delayMs: 1_000 }],
    ['network, attempt 3: 4 s', input('transient-network', { attempt: 3 }), { action: 'retry', delayMs: 4_000 }],
    ['timeout with loads done: resume', input('timeout', { finishedLoads: 1 }), { action: 'resume', delayMs: 1_000 }],
    ['rate limit: the longer base', input('rate-limit', { attempt: 2 }), { action: 'retry', delayMs: 10_000 }],
    [
      'a second timeout: shrink the batch',
      input('timeout', {
        attempt: 2,
        earlier: [{ attempt: 1, taskId: 'extract', failureClass: 'timeout', action: 'retry' }],
      }),
      { action: 'shrink-batch', batchSize: 500 },
    ],
    [
      'auth: pause, critical alert',
      input('auth'),
      { action: 'pause', alert: { kind: 'needs-attention', severity: 'critical' } },
    ],
    ['bug: pause', input('bug', { taskKind: 'transform', taskId: 'clean' }), { action: 'pause' }],
    [
      'attempts used up: pause, run-failed alert',
      input('transient-network', { attempt: 5 }),
      { action: 'pause', alert: { kind: 'run-failed', severity: 'critical' } },
    ],
    [
      'schema drift: re-plan',
      input('schema-drift'),
      { action: 'replan', alert: { kind: 'schema-drift', severity: 'warning' } },
    ],
    [
      'schema drift after a re-plan: pause',
      input('schema-drift', {
        attempt: 2,
        earlier: [{ attempt: 1, taskId: 'extract', failureClass: 'schema-drift', action: 'replan' }],
      }),
      { action: 'pause' },
    ],
    [
      'a failed validation: quarantine and continue',
      input('data-quality', { taskId: 'check', taskKind: 'validate', failsOnBadRows: true }),
      { action: 'quarantine', delayMs: 0, onBadRows: 'quarantine' },
    ],
    [
      'bad rows while already quarantining: pause',
      input('data-quality', { taskKind: 'validate', failsOnBadRows: true, overrides: { onBadRows: 'quarantine' } }),
      { action: 'pause' },
    ],
    ['bad rows in a transform: pause', input('data-quality', { taskKind: 'transform' }), { action: 'pause' }],
    ['out of memory: halve the batch', input('resource-exhaustion'), { action: 'shrink-batch', batchSize: 500 }],
    ['out of memory at the floor: pause', input('resource-exhaustion', { batchSize: 100 }), { action: 'pause' }],
    [
      'third source failure in the window: open the circuit',
      input('transient-network', { sourceFailures: 3 }),
      { action: 'open-circuit', delayMs: 30_000, alert: { kind: 'needs-attention', severity: 'warning' } },
    ],
    [
      'a load (target) failure never opens the source circuit',
      input('transient-network', { sourceFailures: 3, taskKind: 'load', taskId: 'load' }),
      { action: 'retry' },
    ],
    [
      'failing again while half-open: open for twice as long',
      input('timeout', { circuit: { state: 'half-open', trips: 1, retryAt: NOW } }),
      { action: 'open-circuit', delayMs: 60_000 },
    ],
    [
      'refused by an open circuit: wait until half-open',
      input('transient-network', {
        failure: {
          class: 'transient-network',
          basis: 'error-class',
          detail: 't',
          message: 'refused',
          code: CIRCUIT_OPEN_CODE,
        },
        circuit: { state: 'open', trips: 1, retryAt: '2026-03-01T12:00:20.000Z' },
      }),
      { action: 'retry', delayMs: 21_000 },
    ],
    ['unknown: retry with backoff', input('unknown'), { action: 'retry', delayMs: 1_000 }],
    [
      'earlier overrides carry over to a plain retry',
      input('transient-network', { overrides: { batchSize: 250, onBadRows: 'quarantine' } }),
      { action: 'retry', batchSize: 250, onBadRows: 'quarantine' },
    ],
  ];

  it.each(table)('%s', async (_name, given, expected) => {
    const choice = await decide(given);
    expect(choice).toMatchObject(expected);
    expect(checkChoice(given, choice)).toEqual({ ok: true });
  });

  it('draws delays with full jitter inside [0, min(cap, base × 2^(attempt − 1))]', () => {
    expect(fullJitterBackoff(1, 1_000, 60_000, () => 0)).toBe(0);
    expect(fullJitterBackoff(3, 1_000, 60_000, () => 0.5)).toBe(2_000);
    expect(fullJitterBackoff(10, 1_000, 60_000, () => 1)).toBe(60_000);
    const delays = Array.from({ length: 200 }, () => fullJitterBackoff(4, 1_000, 60_000));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(8_000);
    expect(new Set(delays).size).toBeGreaterThan(100);
    expect([1, 2, 3, 10].map((t) => circuitCooldown(t, 30_000, 600_000))).toEqual([30_000, 60_000, 120_000, 600_000]);
  });
});

describe('checkChoice: the bounds for rules and for a model', () => {
  const rules: RecoveryChoice = { action: 'retry', delayMs: 1_000, reason: 'r' };

  it.each<[string, RecoveryInput, RecoveryChoice, RecoveryChoice | undefined, RegExp]>([
    [
      'a delay above the cap',
      input('unknown'),
      { action: 'retry', delayMs: 10_000_000, reason: 'x' },
      rules,
      /above the cap/,
    ],
    [
      'a retry past the attempt limit',
      input('unknown', { attempt: 5 }),
      { action: 'retry', delayMs: 0, reason: 'x' },
      undefined,
      /limit of 5/,
    ],
    [
      'a bigger batch',
      input('unknown'),
      { action: 'shrink-batch', delayMs: 0, batchSize: 5_000, reason: 'x' },
      rules,
      /outside/,
    ],
    [
      'a model that quarantines',
      input('unknown'),
      { action: 'quarantine', delayMs: 0, onBadRows: 'quarantine', reason: 'x' },
      rules,
      /may only choose|may not quarantine/,
    ],
    [
      'a model that re-plans',
      input('unknown'),
      { action: 'replan', delayMs: 0, reason: 'x' },
      rules,
      /may only choose/,
    ],
    [
      'a model that goes on where rules stop',
      input('unknown'),
      rules,
      { action: 'pause', delayMs: 0, reason: 'p' },
      /rules stop/,
    ],
    ['an unknown action', input('unknown'), { action: 'reboot', delayMs: 0, reason: 'x' } as never, rules, /action/],
  ])('refuses %s', (_name, given, value, baseline, reason) => {
    const verdict = checkChoice(given, value, baseline);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.reasons.join('; ')).toMatch(reason);
  });

  it('accepts a model that pauses or retries within bounds', () => {
    expect(checkChoice(input('unknown'), { action: 'pause', delayMs: 0, reason: 'p' }, rules)).toEqual({ ok: true });
    expect(
      checkChoice(input('unknown'), { action: 'shrink-batch', delayMs: 500, batchSize: 200, reason: 's' }, rules),
    ).toEqual({
      ok: true,
    });
  });
});
