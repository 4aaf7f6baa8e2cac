import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ReadinessChecks } from './readiness';
import { Metrics } from './metrics';
import { activeTraceContext, inSpan, initTracing, traceIdOf } from './tracing';

const exporter = new InMemorySpanExporter();
initTracing({ serviceName: 'telemetry-spec', spanProcessors: [new SimpleSpanProcessor(exporter)] });

describe('tracing', () => {
  it('continues a trace from a carried context and records failures', async () => {
    const parent = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    let inner: ReturnType<typeof activeTraceContext>;
    await inSpan('child', { parent }, async () => {
      inner = activeTraceContext();
    });
    expect(traceIdOf(inner)).toBe('0af7651916cd43dd8448eb211c80319c');

    await expect(inSpan('fails', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const failed = exporter.getFinishedSpans().find((s) => s.name === 'fails');
    expect(failed?.status.code).toBe(2);
    expect(failed?.events[0]?.name).toBe('exception');
  });
});

describe('metrics', () => {
  it('exposes process and bus metrics in Prometheus text', async () => {
    const metrics = new Metrics('svc');
    metrics.bus.handled.inc({ service: 'svc', subject: 'aoe.cmd.x' });
    metrics.bus.handlerSeconds.observe({ service: 'svc', subject: 'aoe.cmd.x' }, 0.02);
    const text = await metrics.exposition();
    expect(text).toMatch(/aoe_bus_handled_total\{service="svc",subject="aoe.cmd.x"\} 1/);
    expect(text).toContain('aoe_bus_handler_duration_seconds_bucket');
    expect(text).toContain('aoe_process_resident_memory_bytes');
    expect(metrics.contentType).toContain('text/plain');
  });
});

describe('readiness', () => {
  it('is ready only when every check answers in time', async () => {
    const checks = new ReadinessChecks();
    checks.register('bus', async () => undefined);
    expect(await checks.report()).toEqual({ ready: true, checks: { bus: { ok: true } } });
    checks.register('store', () => Promise.reject(new Error('connection refused')));
    checks.register('slow', () => new Promise((r) => setTimeout(r, 500)));
    const report = await checks.report(100);
    expect(report.ready).toBe(false);
    expect(report.checks.store).toEqual({ ok: false, error: 'connection refused' });
    expect(report.checks.slow.error).toMatch(/did not answer within 100 ms/);
  });
});
