import type { Logger } from 'pino';
import { createLogger, type LoggerOptions } from './logger';
import { Metrics } from './metrics';
import { ReadinessChecks } from './readiness';
import { initTracing, type TracingOptions } from './tracing';

/** Everything a service needs to be observable. Injectable by this class. */
export class Telemetry {
  constructor(
    readonly service: string,
    readonly logger: Logger,
    readonly metrics: Metrics,
    readonly readiness: ReadinessChecks,
  ) {}
}

export interface TelemetryOptions {
  logger?: LoggerOptions;
  tracing?: Omit<TracingOptions, 'serviceName'>;
}

/** The one call that sets a service up: redacting logs, metrics, tracing, readiness. */
export function setupTelemetry(service: string, options: TelemetryOptions = {}): Telemetry {
  initTracing({ serviceName: service, ...options.tracing });
  return new Telemetry(service, createLogger(service, options.logger), new Metrics(service), new ReadinessChecks());
}
