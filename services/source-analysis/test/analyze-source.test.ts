import { randomUUID } from 'node:crypto';
import { Messages } from '@aoe/contracts';
import { createTestMesh, type TestMesh } from '@aoe/service-kit';
import { SourceAnalysisModule } from '../src';
import { RecordAnalysisRequestUseCase } from '../src/usecases/record-analysis-request/record-analysis-request.usecase';

describe('source-analysis: aoe.cmd.source.analyze', () => {
  let mesh: TestMesh;
  let service: Awaited<ReturnType<TestMesh['start']>>;

  beforeAll(async () => {
    mesh = await createTestMesh('sa');
    service = await mesh.start('source-analysis', [SourceAnalysisModule]);
  });
  afterAll(() => mesh.stop());

  it('records a request once, however often it is delivered', async () => {
    const { store } = service.platform;
    const source = await store.sources.create({
      spec: { kind: 'file', path: 'a.csv', format: 'auto', compression: 'auto' },
    });
    const useCase = service.app.get(RecordAnalysisRequestUseCase);
    const messageId = randomUUID();
    const command = { sourceId: source.id, messageId, subject: 'aoe.cmd.source.analyze' };

    expect(await useCase.execute(command)).toBe(true);
    expect(await useCase.execute(command)).toBe(false);
    expect((await store.sources.get(source.id))?.status).toBe('analyzing');
    expect(await store.inbox.has('source-analysis', messageId)).toBe(true);
  });

  it('marks the source analysing when the command arrives over the bus', async () => {
    const { store, bus } = service.platform;
    const source = await store.sources.create({
      spec: { kind: 'file', path: 'b.csv', format: 'auto', compression: 'auto' },
    });
    const { envelope } = await bus.publish(
      Messages.AnalyzeSource,
      { sourceId: source.id, spec: source.spec },
      { correlationId: 'sa-test' },
    );
    const deadline = Date.now() + 10_000;
    while ((await store.sources.get(source.id))?.status !== 'analyzing') {
      if (Date.now() > deadline) throw new Error('source never marked analyzing');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await store.inbox.has('source-analysis', envelope.id)).toBe(true);
  });
});
