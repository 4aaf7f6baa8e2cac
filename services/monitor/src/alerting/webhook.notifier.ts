import { Inject, Injectable, Optional } from '@nestjs/common';
import { z } from 'zod';
import { Alert } from '@aoe/contracts';
import { Telemetry } from '@aoe/telemetry';
import { MonitorConfig, type WebhookSettings } from '../monitor-config';

/** The webhook body: the Alert contract's fields and nothing else (unknown keys are dropped, not sent). */
const WebhookBody = z.object(Alert.shape);

export type WebhookOutcome = 'delivered' | 'failed' | 'disabled';

/** How the notifier waits between attempts; tests make it instant. */
export const WEBHOOK_SLEEP = Symbol('monitor.webhook-sleep');
export type Sleep = (ms: number) => Promise<void>;
const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A status worth another attempt: the receiver is busy, limiting, or broken for now. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * POSTs an alert to the configured webhook as JSON: exactly the Alert
 * contract's fields (anything else on the object is dropped, so no secret,
 * URL or configuration can ride along). Network errors, timeouts, 408/425/429 and 5xx are
 * retried with exponential backoff and ±20% jitter up to `maxAttempts`; other
 * answers stop at once. Never throws: the alert is already recorded and
 * published, and a failed delivery is logged (without the URL) and counted.
 */
@Injectable()
export class WebhookNotifier {
  private readonly settings: WebhookSettings;

  constructor(
    config: MonitorConfig,
    private readonly telemetry: Telemetry,
    @Optional() @Inject(WEBHOOK_SLEEP) private readonly wait: Sleep = sleep,
  ) {
    this.settings = config.webhook;
  }

  /** Whether a webhook URL is configured. */
  get enabled(): boolean {
    return Boolean(this.settings.url);
  }

  async deliver(alert: Alert): Promise<{ outcome: WebhookOutcome; attempts: number }> {
    const url = this.settings.url;
    if (!url) return { outcome: 'disabled', attempts: 0 };
    const body = JSON.stringify(WebhookBody.parse(alert));
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.settings.maxAttempts; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'aoe-monitor' },
          body,
          signal: AbortSignal.timeout(this.settings.timeoutMs),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return { outcome: 'delivered', attempts: attempt };
        lastProblem = `HTTP ${response.status}`;
        if (!retryableStatus(response.status)) return this.failed(alert, attempt, lastProblem);
      } catch (error) {
        lastProblem = (error as Error).name === 'TimeoutError' ? 'timed out' : 'network error';
      }
      if (attempt < this.settings.maxAttempts) await this.wait(this.backoff(attempt));
    }
    return this.failed(alert, this.settings.maxAttempts, lastProblem);
  }

  /** min(initial × 2^(attempt−1), max) ± 20%. */
  backoff(attempt: number): number {
    const base = Math.min(this.settings.initialDelayMs * 2 ** (attempt - 1), this.settings.maxDelayMs);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private failed(alert: Alert, attempts: number, problem: string): { outcome: 'failed'; attempts: number } {
    this.telemetry.logger.warn(
      { alertId: alert.id, kind: alert.kind, attempts, problem },
      'alert webhook delivery failed',
    );
    return { outcome: 'failed', attempts };
  }
}
