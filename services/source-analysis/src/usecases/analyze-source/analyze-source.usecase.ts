import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Messages, type SourceProfile } from '@aoe/contracts';
import { AGENT_GUARD, type AgentGuardApi } from '@aoe/agents';
import { BUS, NonRetryableError, type Bus } from '@aoe/messaging';
import { Store } from '@aoe/store';
import { decisionInput, describeSummary, ProfilerRulesBrain, validateSummary } from '../../profiling/profile-decision';
import { SourceProfiler, type ProfileOutcome } from '../../profiling/source-profiler';
import { AnalyzeSourceCommand } from './analyze-source.command';
import { classifyFailure } from './failure-policy';

export const SERVICE = 'source-analysis';
/** Injection token of the AgentGuard the service records its decisions through. */

export type AnalyzeSourceResult =
  | { outcome: 'profiled'; profile: SourceProfile; profileId: string; decisionId: string }
  /** The command was handled before (a redelivery): its SourceProfiled event is published again, nothing else. */
  | { outcome: 'duplicate'; profileId: string };

/** A UUID derived from a message id, so a retried step reuses the id of its first try. */
export function derivedId(messageId: string, purpose: string): string {
  const hex = createHash('sha256').update(`${purpose}\u0000${messageId}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Profiles a registered source once per command:
 *
 * 1. the source must be registered (else the command is dead-lettered); it is marked `analyzing`;
 * 2. the profiler samples it within its bounds;
 * 3. the summary decision (key, cursor, PII) is made by the profiler's rules brain through the AgentGuard, which records it;
 * 4. one transaction records the command in the inbox, stores the profile and marks the source `profiled`;
 * 5. `aoe.evt.source.profiled` is published with an id derived from the command, carrying `pipeline` on.
 *
 * A failure the FAILURE_POLICY retries is thrown as it is (the bus retries with
 * backoff) unless this is the last delivery; any other, or the last one, marks the
 * source `failed` and throws a NonRetryableError with the reason (dead letter).
 * A redelivered command that was already handled publishes its event again
 * (the bus drops the repeat within its duplicate window) and stores nothing.
 */
@Injectable()
export class AnalyzeSourceUseCase {
  private readonly brain = new ProfilerRulesBrain();

  constructor(
    private readonly store: Store,
    @Inject(BUS) private readonly bus: Bus,
    private readonly profiler: SourceProfiler,
    @Inject(AGENT_GUARD) private readonly guard: AgentGuardApi,
  ) {}

  async execute(input: AnalyzeSourceCommand, hooks: { onProgress?: () => void } = {}): Promise<AnalyzeSourceResult> {
    const command = AnalyzeSourceCommand.parse(input);
    const profileId = derivedId(command.messageId, 'profile');

    const handled = await this.store.transaction(async (tx) => {
      const [source, handled] = await Promise.all([
        tx.sources.get(command.sourceId),
        tx.inbox.has(SERVICE, command.messageId),
      ]);
      if (!source) throw new NonRetryableError(`source "${command.sourceId}" is not registered`);
      if (handled) return true;
      await tx.sources.updateStatus(command.sourceId, 'analyzing');
      return false;
    });
    if (handled) {
      await this.republish(command, profileId);
      return { outcome: 'duplicate', profileId };
    }

    let outcome: ProfileOutcome;
    try {
      outcome = await this.profiler.profile({
        sourceId: command.sourceId,
        spec: command.spec,
        onProgress: hooks.onProgress,
      });
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.retry && !command.lastAttempt) throw error;
      await this.store.transaction(async (tx) => {
        await tx.inbox.recordOnce(SERVICE, command.messageId, command.subject);
        await tx.sources.updateStatus(command.sourceId, 'failed');
      });
      const why = failure.retry ? `gave up after the last delivery: ${failure.message}` : failure.message;
      throw new NonRetryableError(
        `source "${command.sourceId}" could not be profiled (${failure.errorClass}): ${why}`,
        {
          cause: error,
        },
      );
    }

    const { decision } = await this.guard.decide({
      agent: 'source-analysis',
      subjectId: command.sourceId,
      correlationId: command.correlationId,
      input: decisionInput(outcome),
      rules: this.brain,
      validate: validateSummary,
      describe: (summary) => ({ ...describeSummary(summary), profileId }),
    });

    const fresh = await this.store.transaction(async (tx) => {
      if (!(await tx.inbox.recordOnce(SERVICE, command.messageId, command.subject))) return false;
      await tx.profiles.record(outcome.profile, profileId);
      await tx.sources.updateStatus(command.sourceId, 'profiled');
      return true;
    });
    // Another replica finished the same command first: it publishes.
    if (!fresh) return { outcome: 'duplicate', profileId };
    await this.publish(command, outcome.profile);
    return { outcome: 'profiled', profile: outcome.profile, profileId, decisionId: decision.id };
  }

  private async republish(command: ReturnType<typeof AnalyzeSourceCommand.parse>, profileId: string): Promise<void> {
    const stored = await this.store.profiles.get(profileId);
    if (stored) await this.publish(command, stored.profile);
  }

  private async publish(command: ReturnType<typeof AnalyzeSourceCommand.parse>, profile: SourceProfile): Promise<void> {
    await this.bus.publish(
      Messages.SourceProfiled,
      { sourceId: command.sourceId, profile, ...(command.pipeline ? { pipeline: command.pipeline } : {}) },
      {
        correlationId: command.correlationId,
        causationId: command.messageId,
        id: derivedId(command.messageId, 'profiled'),
      },
    );
  }
}
