import { Injectable } from '@nestjs/common';
import { MonitorMetrics } from '../../metrics/monitor.metrics';
import { RecordDecisionEventCommand } from './record-decision-event.command';

/**
 * Counts every agent decision published on the bus (aoe_agent_decisions_total{agent, decided_by, accepted})
 * and how long it took (aoe_agent_decision_duration_seconds{agent, decided_by}).
 */
@Injectable()
export class RecordDecisionEventUseCase {
  constructor(private readonly metrics: MonitorMetrics) {}

  execute(input: RecordDecisionEventCommand): void {
    const decision = RecordDecisionEventCommand.parse(input);
    this.metrics.decisions.inc({
      agent: decision.agent,
      decided_by: decision.decidedBy,
      accepted: String(decision.accepted),
    });
    this.metrics.decisionSeconds.observe(
      { agent: decision.agent, decided_by: decision.decidedBy },
      decision.latencyMs / 1000,
    );
  }
}
