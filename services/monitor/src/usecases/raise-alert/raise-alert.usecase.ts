import { Inject, Injectable } from '@nestjs/common';
import { Messages, type AgentDecision, type Alert } from '@aoe/contracts';
import type { AgentGuardApi } from '@aoe/agents';
import { BUS, uuidFromText, type Bus } from '@aoe/messaging';
import { Store } from '@aoe/store';
import { WebhookNotifier, type WebhookOutcome } from '../../alerting/webhook.notifier';
import { AGENT_GUARD } from '@aoe/agents';
import { checkJudgement, describeJudgement, RulesMonitorBrain } from '../../decision/rules-monitor.brain';
import { MonitorMetrics } from '../../metrics/monitor.metrics';
import { RaiseAlertCommand } from './raise-alert.command';

export const SERVICE = 'monitor';

export type RaiseAlertResult =
  | { status: 'raised'; alert: Alert; decision: AgentDecision; webhook: WebhookOutcome }
  /** The judgement was not to raise it. */
  | { status: 'dismissed'; decision: AgentDecision }
  /** This (pipeline, kind, run) already has its alert. */
  | { status: 'duplicate'; alertId: string };

/** The alert id: one alert per (pipeline, kind, run), whichever replica or redelivery finds it. */
export function alertId(pipelineId: string, kind: Alert['kind'], runId: string | undefined): string {
  return uuidFromText(`${SERVICE}|${pipelineId}|${kind}|${runId ?? ''}`);
}

/**
 * Judges a finding through the guard (an AgentDecision of agent `monitor`,
 * with the evidence), then records the alert and publishes
 * `aoe.evt.alert.raised` (its id is the alert id, so a republish is dropped)
 * in one transaction, then POSTs it to the webhook.
 */
@Injectable()
export class RaiseAlertUseCase {
  private readonly rules = new RulesMonitorBrain();

  constructor(
    private readonly store: Store,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(AGENT_GUARD) private readonly guard: AgentGuardApi,
    private readonly webhook: WebhookNotifier,
    private readonly metrics: MonitorMetrics,
  ) {}

  async execute(input: RaiseAlertCommand): Promise<RaiseAlertResult> {
    const { finding, correlationId, causationId } = RaiseAlertCommand.parse(input);
    const id = alertId(finding.pipelineId, finding.kind, finding.runId);
    if (await this.store.alerts.get(id)) return { status: 'duplicate', alertId: id };

    const { value, decision } = await this.guard.decide({
      agent: 'monitor',
      subjectId: finding.pipelineId,
      correlationId: correlationId ?? finding.runId,
      input: finding,
      rules: this.rules,
      validate: checkJudgement,
      describe: describeJudgement(finding),
    });
    if (!value.raise) return { status: 'dismissed', decision };

    const alert: Alert = {
      id,
      pipelineId: finding.pipelineId,
      ...(finding.runId ? { runId: finding.runId } : {}),
      kind: finding.kind,
      severity: value.severity,
      message: value.message,
      evidence: { ...finding.evidence, score: Math.round(finding.score * 1000) / 1000, decisionId: decision.id },
      at: finding.at,
    };
    const recorded = await this.store.transaction(async (tx) => {
      if (!(await tx.alerts.record(alert))) return false;
      await this.bus.publish(Messages.AlertRaised, alert, {
        correlationId: correlationId ?? finding.runId ?? finding.pipelineId,
        ...(causationId ? { causationId } : {}),
        id,
      });
      return true;
    });
    if (!recorded) return { status: 'duplicate', alertId: id };
    this.metrics.alerts.inc({ kind: alert.kind, severity: alert.severity });
    const { outcome } = await this.webhook.deliver(alert);
    this.metrics.webhook.inc({ outcome });
    return { status: 'raised', alert, decision, webhook: outcome };
  }
}
