import type { Brain, Proposal } from '@aoe/agents';
import { CIRCUIT_OPEN_CODE } from '@aoe/contracts';
import { circuitCooldown, fullJitterBackoff } from './backoff';
import type { RecoveryChoice, RecoveryInput, RetryAction } from './recovery-choice';

const SOURCE_SIDE = new Set(['transient-network', 'timeout', 'rate-limit']);

/**
 * The rules: the failure's class and the run's history choose one action
 * (docs/recovery.md has the table). Anything a person must fix — credentials,
 * a bug, attempts used up, bad rows quarantine cannot set aside — pauses the
 * pipeline with an alert; everything else runs the failed run again, from
 * its checkpoint, after a bounded, jittered delay.
 */
export class RulesRecoveryBrain implements Brain<RecoveryInput, RecoveryChoice> {
  readonly kind = 'rules' as const;
  readonly name = 'rules';

  constructor(private readonly random: () => number = Math.random) {}

  async propose(input: RecoveryInput): Promise<Proposal<RecoveryChoice>> {
    const value = this.choose(input);
    return { value, rationale: `${input.failure.class} (${input.failure.detail}): ${value.reason}` };
  }

  private choose(input: RecoveryInput): RecoveryChoice {
    const s = input.settings;
    const failure = input.failure;
    if (failure.class === 'auth') {
      return pause('credentials were refused; no retry can fix that, a person must', 'needs-attention');
    }
    if (failure.class === 'bug') {
      return pause('a bug or a plan that does not fit the data: a retry would fail the same way', 'needs-attention');
    }
    if (input.attempt >= s.maxAttempts) {
      return pause(
        `gave up: ${input.attempt} of ${s.maxAttempts} attempts failed, the last as ${failure.class}`,
        'run-failed',
      );
    }

    switch (failure.class) {
      case 'schema-drift':
        if (input.earlier.some((e) => e.action === 'replan')) {
          return pause('the schema drifted again after a re-plan', 'schema-drift');
        }
        return {
          action: 'replan',
          delayMs: 0,
          reason:
            'the source schema no longer fits the plan: profile it again and re-plan; the next run uses the new plan',
          alert: { kind: 'schema-drift', severity: 'warning' },
        };
      case 'data-quality':
        if (s.quarantineOnDataQuality && input.failsOnBadRows && input.overrides.onBadRows !== 'quarantine') {
          return this.again(
            input,
            'quarantine',
            0,
            'bad rows failed a validation: run again with them quarantined, with their reason',
            {
              onBadRows: 'quarantine',
              alert: { kind: 'needs-attention', severity: 'warning' },
            },
          );
        }
        return pause(
          'bad rows that quarantine cannot set aside (not a validation, or already quarantining)',
          'needs-attention',
        );
      case 'resource-exhaustion': {
        const smaller = Math.max(s.minBatchSize, Math.floor(input.batchSize / 2));
        if (smaller < input.batchSize) {
          return this.again(
            input,
            'shrink-batch',
            this.backoff(input, s.baseDelayMs),
            `out of resources at batch size ${input.batchSize}: run again with ${smaller}`,
            { batchSize: smaller },
          );
        }
        return pause(`out of resources even at the smallest batch size (${s.minBatchSize})`, 'needs-attention');
      }
      case 'transient-network':
      case 'timeout':
      case 'rate-limit':
        return this.sourceSide(input);
      case 'unknown':
        return this.again(
          input,
          input.finishedLoads > 0 ? 'resume' : 'retry',
          this.backoff(input, s.baseDelayMs),
          'an unclassified failure: run again with backoff, within the attempt limit',
        );
    }
  }

  /** Network, timeout and rate-limit failures: defer behind an open circuit, open one, shrink, or back off. */
  private sourceSide(input: RecoveryInput): RecoveryChoice {
    const s = input.settings;
    const { circuit } = input;
    const now = Date.parse(input.now);
    if (input.failure.code === CIRCUIT_OPEN_CODE || (circuit.state === 'open' && circuit.retryAt)) {
      const wait = Math.max(0, Date.parse(circuit.retryAt ?? input.now) - now);
      return this.again(
        input,
        'retry',
        wait + this.backoff({ ...input, attempt: 1 }, s.baseDelayMs),
        `the source's circuit is open: run again once it is half-open (${Math.round(wait / 1000)} s)`,
      );
    }
    const fromSource = input.taskKind === 'extract' && SOURCE_SIDE.has(input.failure.class);
    if (fromSource && (circuit.state === 'half-open' || input.sourceFailures >= s.circuitFailures)) {
      const trip = circuit.state === 'half-open' ? circuit.trips + 1 : 1;
      const cooldown = circuitCooldown(trip, s.circuitCooldownMs, s.circuitMaxCooldownMs);
      return this.again(
        input,
        'open-circuit',
        cooldown,
        circuit.state === 'half-open'
          ? `the source failed again while half-open: circuit open for ${Math.round(cooldown / 1000)} s (trip ${trip})`
          : `${input.sourceFailures} source failures within ${Math.round(s.circuitWindowMs / 1000)} s: circuit open for ${Math.round(cooldown / 1000)} s, then this run probes`,
        { alert: { kind: 'needs-attention', severity: 'warning' } },
      );
    }
    if (
      input.failure.class === 'timeout' &&
      input.earlier.some((e) => e.failureClass === 'timeout') &&
      Math.max(s.minBatchSize, Math.floor(input.batchSize / 2)) < input.batchSize
    ) {
      const smaller = Math.max(s.minBatchSize, Math.floor(input.batchSize / 2));
      return this.again(
        input,
        'shrink-batch',
        this.backoff(input, s.baseDelayMs),
        `timed out again: run again with batch size ${smaller} instead of ${input.batchSize}`,
        { batchSize: smaller },
      );
    }
    const base = input.failure.class === 'rate-limit' ? Math.max(s.baseDelayMs, s.rateLimitBaseDelayMs) : s.baseDelayMs;
    return this.again(
      input,
      input.finishedLoads > 0 ? 'resume' : 'retry',
      this.backoff(input, base),
      input.finishedLoads > 0
        ? `${input.failure.class}: resume from the checkpoint (${input.finishedLoads} load(s) done) after backoff`
        : `${input.failure.class}: run again after exponential backoff with full jitter`,
    );
  }

  private backoff(input: RecoveryInput, baseMs: number): number {
    return fullJitterBackoff(input.attempt, baseMs, input.settings.maxDelayMs, this.random);
  }

  /** A retry-like choice; the run's earlier overrides carry over. */
  private again(
    input: RecoveryInput,
    action: RetryAction,
    delayMs: number,
    reason: string,
    extra: Partial<Pick<RecoveryChoice, 'batchSize' | 'onBadRows' | 'alert'>> = {},
  ): RecoveryChoice {
    const batchSize = extra.batchSize ?? input.overrides.batchSize;
    const onBadRows = extra.onBadRows ?? input.overrides.onBadRows;
    return {
      action,
      delayMs,
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(onBadRows ? { onBadRows } : {}),
      ...(extra.alert ? { alert: extra.alert } : {}),
      reason,
    };
  }
}

function pause(reason: string, kind: 'needs-attention' | 'run-failed' | 'schema-drift'): RecoveryChoice {
  return {
    action: 'pause',
    delayMs: 0,
    reason: `${reason}; the pipeline is paused`,
    alert: { kind, severity: 'critical' },
  };
}
