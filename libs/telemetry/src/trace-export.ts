import { hostname } from 'node:os';
import type { Resource } from '@opentelemetry/resources';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/* eslint-disable @typescript-eslint/no-require-imports */
// The SDK parts are loaded when a provider is built, so that a process that exports nothing never loads them.
const sdkTraceBase = () => require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
const resources = () => require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
/* eslint-enable @typescript-eslint/no-require-imports */

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** The span exporter the standard OTLP variables ask for (OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL). */
export function otlpExporterFromEnv(env: NodeJS.ProcessEnv = process.env): SpanExporter {
  const protocol = (
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ||
    env.OTEL_EXPORTER_OTLP_PROTOCOL ||
    'http/protobuf'
  ).trim();
  // Each exporter is loaded only when chosen: together they cost every process a few hundred ms at start.
  /* eslint-disable @typescript-eslint/no-require-imports */
  switch (protocol as OtlpProtocol) {
    case 'http/json': {
      const { OTLPTraceExporter } =
        require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter();
    }
    case 'grpc': {
      const { OTLPTraceExporter } =
        require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc');
      return new OTLPTraceExporter();
    }
    case 'http/protobuf': {
      const { OTLPTraceExporter } =
        require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter();
    }
    /* eslint-enable @typescript-eslint/no-require-imports */
    default:
      throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL "${protocol}" is not one of http/protobuf, http/json, grpc`);
  }
}

/**
 * The span processors the standard variables ask for:
 * - OTEL_SDK_DISABLED=true: none;
 * - OTEL_TRACES_EXPORTER: a list of otlp, console, none;
 * - unset: otlp when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set, else none. (The
 *   specification's default is otlp to localhost:4318; a service with no collector
 *   would then log export failures forever, so an endpoint is what opts in.)
 * The OTLP exporters read the endpoint, headers, timeout and compression
 * variables themselves; BatchSpanProcessor reads OTEL_BSP_*.
 */
export function spanProcessorsFromEnv(env: NodeJS.ProcessEnv = process.env): SpanProcessor[] {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return [];
  const listed = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const names = listed.length > 0 ? listed : endpoint ? ['otlp'] : [];
  if (names.includes('none')) return [];
  return [...new Set(names)].map((name) => {
    switch (name) {
      case 'otlp':
        return new (sdkTraceBase().BatchSpanProcessor)(otlpExporterFromEnv(env));
      case 'console': {
        const { SimpleSpanProcessor, ConsoleSpanExporter } = sdkTraceBase();
        return new SimpleSpanProcessor(new ConsoleSpanExporter());
      }
      default:
        throw new Error(`OTEL_TRACES_EXPORTER "${name}" is not one of otlp, console, none`);
    }
  });
}

/**
 * service.name (OTEL_SERVICE_NAME wins over the service's own name), an
 * instance id per process (replicas of one service are told apart), and
 * whatever OTEL_RESOURCE_ATTRIBUTES adds.
 */
export function traceResource(serviceName: string, env: NodeJS.ProcessEnv = process.env): Resource {
  const { detectResources, envDetector, resourceFromAttributes } = resources();
  const fromEnv = detectResources({ detectors: [envDetector] });
  return fromEnv.merge(
    resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME || serviceName,
      'service.instance.id': `${hostname()}-${process.pid}`,
    }),
  );
}
