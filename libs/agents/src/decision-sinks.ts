import { Messages, type AgentDecision } from '@aoe/contracts';
import type { Bus } from '@aoe/messaging';
import type { DecisionRepository } from '@aoe/store';
import type { DecisionSink } from './agent-guard.types';

/** Stores decisions in `agent_decisions` (a repeated id is a no-op: the store is idempotent). */
export class StoreDecisionSink implements DecisionSink {
  constructor(private readonly decisions: Pick<DecisionRepository, 'record'>) {}

  async record(decision: AgentDecision): Promise<void> {
    await this.decisions.record(decision);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Publishes `aoe.evt.decision.recorded`. The envelope id is the decision id
 * (when it is a UUID), so publishing the same decision twice is deduplicated.
 */
export class BusDecisionSink implements DecisionSink {
  constructor(private readonly bus: Pick<Bus, 'publish'>) {}

  async record(decision: AgentDecision): Promise<void> {
    await this.bus.publish(Messages.DecisionRecorded, decision, {
      correlationId: decision.correlationId ?? decision.subjectId,
      ...(UUID.test(decision.id) ? { id: decision.id } : {}),
    });
  }
}

/** Keeps decisions in memory, in order: for tests and for `--dry-run` style callers. */
export class MemoryDecisionSink implements DecisionSink {
  readonly decisions: AgentDecision[] = [];

  async record(decision: AgentDecision): Promise<void> {
    this.decisions.push(decision);
  }
}
