import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Messages } from '@aoe/contracts';
import { CreateApiKeyUseCase, GatewayModule } from '@aoe/gateway';
import { createTestMesh, type TestMesh } from '@aoe/service-kit/testing';
import { SourceAnalysisModule } from '@aoe/source-analysis';
import { initTracing } from '@aoe/telemetry';

const spans = new InMemorySpanExporter();
initTracing({ serviceName: 'e2e', spanProcessors: [new SimpleSpanProcessor(spans)] });

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('gateway -> bus -> source-analysis, on real NATS JetStream and PostgreSQL', () => {
  let mesh: TestMesh;
  let gateway: Awaited<ReturnType<TestMesh['start']>>;
  let writeKey: string;

  beforeAll(async () => {
    mesh = await createTestMesh('e2e');
    gateway = await mesh.start('gateway', [GatewayModule]);
    writeKey = (
      await gateway.app.get(CreateApiKeyUseCase).execute({ name: 'e2e', scope: 'write', createdBy: 'e2e test' })
    ).key;
    await mesh.start('source-analysis', [SourceAnalysisModule]);
    await mesh.start('source-analysis', [SourceAnalysisModule]); // a second replica
  });
  afterAll(() => mesh.stop());

  it('registers a source, and source-analysis profiles it under one trace id', async () => {
    const res = await fetch(`${gateway.url}/v1/sources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${writeKey}` },
      body: JSON.stringify({ name: 'events', spec: { kind: 'file', path: `${process.cwd()}/examples/events.csv` } }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as any;

    const profiled = await eventually(async () => {
      const source = await gateway.platform.store.sources.get(id);
      return source?.status === 'profiled' ? source : undefined;
    }, 'the source to be profiled');
    expect(profiled.name).toBe('events');
    const profile = await gateway.platform.store.profiles.latest(id);
    expect(profile?.profile.columns.map((c) => c.name)).toEqual(['id', 'occurred_at', 'user_email', 'event', 'amount']);

    const handlerSpan = await eventually(
      async () => spans.getFinishedSpans().find((s) => s.name === 'handle aoe.cmd.source.analyze'),
      'the handler span',
    );
    const httpSpan = spans.getFinishedSpans().find((s) => s.name === 'POST /v1/sources');
    expect(httpSpan).toBeDefined();
    expect(handlerSpan.spanContext().traceId).toBe(httpSpan!.spanContext().traceId);
    const publishSpan = spans.getFinishedSpans().find((s) => s.name === 'publish aoe.cmd.source.analyze');
    expect(publishSpan?.spanContext().traceId).toBe(httpSpan!.spanContext().traceId);
  });

  it('continues a trace the caller started (traceparent header)', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${gateway.url}/v1/sources`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${writeKey}`,
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
      body: JSON.stringify({ spec: { kind: 'file', path: 'examples/other.csv' } }),
    });
    expect(res.status).toBe(202);
    await eventually(
      async () =>
        spans
          .getFinishedSpans()
          .find((s) => s.name === 'handle aoe.cmd.source.analyze' && s.spanContext().traceId === traceId),
      'a handler span in the caller trace',
    );
  });

  it('dead-letters an analysis request for an unknown source, and the gateway records it', async () => {
    await gateway.platform.bus.publish(
      Messages.AnalyzeSource,
      { sourceId: 'never-registered', spec: { kind: 'file', path: 'x.csv', format: 'auto', compression: 'auto' } },
      { correlationId: 'e2e-unknown' },
    );
    const letter = await eventually(async () => {
      const page = await gateway.platform.store.deadLetters.list({ service: 'source-analysis' });
      return page.items.find((l) => l.deadLetter.reason.includes('never-registered'));
    }, 'the dead letter in the store');
    expect(letter.deadLetter.reason).toContain('non-retryable');
    expect(letter.deadLetter.attempts).toBe(1);
    expect(letter.deadLetter.kind).toBe('handler-failed');
  });
});
