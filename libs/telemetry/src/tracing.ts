import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TraceContext } from '@aoe/contracts';
import { spanProcessorsFromEnv, traceResource } from './trace-export';

export { SpanKind } from '@opentelemetry/api';

export interface TracingOptions {
  serviceName: string;
  /** Extra processors (tests pass an in-memory exporter here). */
  spanProcessors?: SpanProcessor[];
  /**
   * Register nothing when no span would be exported (no processor given, none
   * asked for by the environment): spans are then no-ops and no trace context
   * travels. For a process that is a whole trace on its own, the embedded CLI,
   * which then does not load the tracing SDK at all.
   */
  onlyWhenExported?: boolean;
}

let provider: NodeTracerProvider | undefined;

/**
 * Registers the process's tracer provider with W3C propagation. Spans are
 * exported as the standard OTEL_* variables say (see trace-export.ts and
 * docs/observability.md). The first call wins: every service in one process
 * (embedded mode) shares one provider.
 */
export function initTracing(options: TracingOptions): NodeTracerProvider | undefined {
  if (provider) return provider;
  const spanProcessors = [...(options.spanProcessors ?? []), ...spanProcessorsFromEnv()];
  if (options.onlyWhenExported && spanProcessors.length === 0) return undefined;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeTracerProvider } =
    require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  /* eslint-enable @typescript-eslint/no-require-imports */
  provider = new NodeTracerProvider({ resource: traceResource(options.serviceName), spanProcessors });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return provider;
}

/** Exports the spans still buffered (call before a process exits). */
export async function flushTracing(): Promise<void> {
  await provider?.forceFlush();
}

export async function shutdownTracing(): Promise<void> {
  await provider?.shutdown();
}

/** The active span's context, ready to travel in an envelope or headers. */
export function activeTraceContext(): TraceContext | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  if (!carrier.traceparent) return undefined;
  return carrier.tracestate
    ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate }
    : { traceparent: carrier.traceparent };
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Continue the trace a message or request carried in; otherwise the active one. */
  parent?: TraceContext;
}

/** Runs `fn` inside a new active span that records failures and always ends. */
export function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const tracer = trace.getTracer('aoe');
  const parentContext = options.parent ? propagation.extract(ROOT_CONTEXT, { ...options.parent }) : context.active();
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parentContext,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

export function traceIdOf(traceContext: TraceContext | undefined): string | undefined {
  return traceContext?.traceparent.split('-')[1];
}
