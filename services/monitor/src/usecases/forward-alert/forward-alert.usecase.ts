import { Injectable } from '@nestjs/common';
import type { Alert } from '@aoe/contracts';
import { Store } from '@aoe/store';
import { WebhookNotifier, type WebhookOutcome } from '../../alerting/webhook.notifier';
import { MonitorMetrics } from '../../metrics/monitor.metrics';
import { alertId } from '../raise-alert/raise-alert.usecase';

/** The inbox key space of forwarded alerts: one delivery per alert id. */
export const FORWARDER = 'monitor-alert-forwarder';

export type ForwardAlertResult =
  /** Raised by the monitor itself, which POSTed it when it raised it. */
  | { status: 'own' }
  /** Forwarded before (a republish, or a replica got there first). */
  | { status: 'duplicate' }
  | { status: 'forwarded'; webhook: WebhookOutcome };

/**
 * Sends the alerts other services raise (recovery's: a pipeline paused, a run
 * that needs a person) to the monitor's webhook, as it sends its own: one
 * place for operators to hear from. Once per alert id (webhooks are at least
 * once all the same: the body carries the alert id).
 */
@Injectable()
export class ForwardAlertUseCase {
  constructor(
    private readonly store: Store,
    private readonly webhook: WebhookNotifier,
    private readonly metrics: MonitorMetrics,
  ) {}

  async execute(alert: Alert, subject: string): Promise<ForwardAlertResult> {
    const own = alert.pipelineId !== undefined && alert.id === alertId(alert.pipelineId, alert.kind, alert.runId);
    if (own) return { status: 'own' };
    // Nothing to deliver, so nothing to claim: no transaction.
    if (!this.webhook.enabled) {
      this.metrics.webhook.inc({ outcome: 'disabled' });
      return { status: 'forwarded', webhook: 'disabled' };
    }
    // The claim and the delivery in one transaction: a replica forwarding the same alert waits on the
    // claim, then finds it taken; a crash mid-delivery rolls the claim back, and the redelivery POSTs again.
    return this.store.transaction(async (tx): Promise<ForwardAlertResult> => {
      if (!(await tx.inbox.recordOnce(FORWARDER, alert.id, subject))) return { status: 'duplicate' };
      const { outcome } = await this.webhook.deliver(alert);
      this.metrics.webhook.inc({ outcome });
      return { status: 'forwarded', webhook: outcome };
    });
  }
}
