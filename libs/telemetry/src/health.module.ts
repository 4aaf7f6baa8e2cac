import {
  Controller,
  Get,
  Header,
  Module,
  ServiceUnavailableException,
  type DynamicModule,
  type LoggerService,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Telemetry } from './telemetry';
import { flushTracing } from './tracing';

@Controller()
export class HealthController {
  constructor(private readonly telemetry: Telemetry) {}

  @Get('healthz')
  healthz(): { status: 'ok'; service: string } {
    return { status: 'ok', service: this.telemetry.service };
  }

  @Get('readyz')
  async readyz(): Promise<{ status: 'ready'; checks: Record<string, { ok: boolean }> }> {
    const report = await this.telemetry.readiness.report();
    if (!report.ready) throw new ServiceUnavailableException({ status: 'not-ready', checks: report.checks });
    return { status: 'ready', checks: report.checks };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.telemetry.metrics.exposition();
  }
}

/**
 * /healthz, /readyz and /metrics for a service, and its Telemetry as a
 * provider. On shutdown it exports the spans still buffered, so the last
 * moments of a stopping service are not missing from its traces.
 */
@Module({})
export class TelemetryModule implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await flushTracing().catch(() => undefined);
  }

  static forRoot(telemetry: Telemetry): DynamicModule {
    return {
      module: TelemetryModule,
      global: true,
      controllers: [HealthController],
      providers: [{ provide: Telemetry, useValue: telemetry }],
      exports: [Telemetry],
    };
  }
}

/** Nest's own log lines, through the service's redacting pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly telemetry: Telemetry) {}
  log(message: unknown, context?: string): void {
    this.telemetry.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.telemetry.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.telemetry.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.telemetry.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.telemetry.logger.trace({ context }, String(message));
  }
}
