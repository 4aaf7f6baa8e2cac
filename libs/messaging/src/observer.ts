import type { Logger, Metrics } from '@aoe/telemetry';
import { scrubText } from '@aoe/telemetry';

/** What the bus reports about its traffic: metrics and log lines. */
export interface BusObserver {
  published(subject: string): void;
  /** A handler started (+1) or ended (-1), either way. */
  handling(service: string, subject: string, delta: 1 | -1): void;
  handled(service: string, subject: string, seconds: number): void;
  failed(service: string, subject: string, error: unknown, attempt: number, willRetry: boolean): void;
  deadLettered(service: string, subject: string, kind: string, reason: string): void;
  /** Consumer lag: messages left for `consumer` after the one just delivered. */
  consumerPending(service: string, consumer: string, pending: number): void;
}

export const silentObserver: BusObserver = {
  published: () => undefined,
  handling: () => undefined,
  handled: () => undefined,
  failed: () => undefined,
  deadLettered: () => undefined,
  consumerPending: () => undefined,
};

export function telemetryObserver(metrics: Metrics, logger: Logger): BusObserver {
  return {
    published: (subject) => metrics.bus.published.inc({ subject }),
    handling: (service, subject, delta) => metrics.bus.inFlight.inc({ service, subject }, delta),
    handled: (service, subject, seconds) => {
      metrics.bus.handled.inc({ service, subject });
      metrics.bus.handlerSeconds.observe({ service, subject }, seconds);
    },
    failed: (service, subject, error, attempt, willRetry) => {
      metrics.bus.failed.inc({ service, subject });
      logger.warn({ service, subject, attempt, willRetry, err: error }, 'handler failed');
    },
    deadLettered: (service, subject, kind, reason) => {
      metrics.bus.deadLettered.inc({ service, subject, kind });
      logger.error({ service, subject, kind, reason: scrubText(reason) }, 'message dead-lettered');
    },
    consumerPending: (service, consumer, pending) => metrics.bus.consumerPending.set({ service, consumer }, pending),
  };
}
