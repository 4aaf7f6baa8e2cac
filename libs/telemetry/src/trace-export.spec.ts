import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { otlpExporterFromEnv, spanProcessorsFromEnv, traceResource } from './trace-export';

const kinds = (processors: SpanProcessor[]) => processors.map((p) => p.constructor.name);

describe('trace export from the standard OTEL_* variables', () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };

  it('exports over OTLP when an endpoint is set, and not at all without one', async () => {
    const withEndpoint = spanProcessorsFromEnv(endpoint);
    expect(withEndpoint).toHaveLength(1);
    expect(withEndpoint[0]).toBeInstanceOf(BatchSpanProcessor);
    expect(spanProcessorsFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toHaveLength(1);
    expect(spanProcessorsFromEnv({})).toEqual([]);
    await Promise.all(withEndpoint.map((p) => p.shutdown()));
  });

  it('follows OTEL_TRACES_EXPORTER and OTEL_SDK_DISABLED', async () => {
    const both = spanProcessorsFromEnv({ OTEL_TRACES_EXPORTER: 'otlp, console' });
    expect(kinds(both)).toEqual(['BatchSpanProcessor', 'SimpleSpanProcessor']);
    expect(both[1]).toBeInstanceOf(SimpleSpanProcessor);
    expect(spanProcessorsFromEnv({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toEqual([]);
    expect(spanProcessorsFromEnv({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toEqual([]);
    expect(() => spanProcessorsFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(
      'OTEL_TRACES_EXPORTER "zipkin" is not one of otlp, console, none',
    );
    await Promise.all(both.map((p) => p.shutdown()));
  });

  it('picks the exporter by protocol, the traces-specific variable first', async () => {
    const exporters = [
      otlpExporterFromEnv({}),
      otlpExporterFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
      otlpExporterFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }),
    ];
    expect(exporters[0]).toBeInstanceOf(OtlpProtobufExporter);
    expect(exporters[1]).toBeInstanceOf(OtlpJsonExporter);
    expect(exporters[2]).toBeInstanceOf(OtlpGrpcExporter);
    expect(() => otlpExporterFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' })).toThrow(/not one of/);
    await Promise.all(exporters.map((e) => e.shutdown()));
  });

  it('names the service (OTEL_SERVICE_NAME wins), the instance, and adds OTEL_RESOURCE_ATTRIBUTES', () => {
    const saved = process.env.OTEL_RESOURCE_ATTRIBUTES;
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment=staging,team=data';
    try {
      expect(traceResource('dispatcher', {}).attributes).toMatchObject({
        'service.name': 'dispatcher',
        'service.instance.id': expect.stringMatching(new RegExp(`-${process.pid}$`)),
        'deployment.environment': 'staging',
        team: 'data',
      });
      expect(traceResource('dispatcher', { OTEL_SERVICE_NAME: 'dispatcher-eu' }).attributes['service.name']).toBe(
        'dispatcher-eu',
      );
    } finally {
      if (saved === undefined) delete process.env.OTEL_RESOURCE_ATTRIBUTES;
      else process.env.OTEL_RESOURCE_ATTRIBUTES = saved;
    }
  });
});
