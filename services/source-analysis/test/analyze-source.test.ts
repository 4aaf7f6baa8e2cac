import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Messages, type DeadLetter, type SourceProfiled, type SourceSpec } from '@aoe/contracts';
import { NonRetryableError } from '@aoe/messaging';
import { createTestMesh, type TestMesh } from '@aoe/service-kit/testing';
import { uniqueName } from '@aoe/testing';
import { AnalyzeSourceUseCase, SourceAnalysisModule } from '../src';
import { ANALYZE_RETRY } from '../src/analyze-source.handler';
import { peopleCsv, sql, withTempDir } from './fixtures/data';

// The failures below are provoked: keep their retries out of the test output.
process.env.LOG_LEVEL = 'error';

async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('source-analysis: aoe.cmd.source.analyze end to end', () => {
  let mesh: TestMesh;
  let service: Awaited<ReturnType<TestMesh['start']>>;
  const profiled: Array<{ payload: SourceProfiled; correlationId: string; causationId?: string; id: string }> = [];
  const deadLetters: DeadLetter[] = [];
  const table = uniqueName('sa_e2e');

  beforeAll(async () => {
    mesh = await createTestMesh('sa');
    service = await mesh.start('source-analysis', [SourceAnalysisModule]);
    const { bus } = service.platform;
    await bus.subscribe({
      service: 'profiled-probe',
      definitions: [Messages.SourceProfiled],
      handler: async (m) => {
        profiled.push({
          payload: m.payload,
          correlationId: m.envelope.correlationId,
          causationId: m.envelope.causationId,
          id: m.envelope.id,
        });
      },
    });
    await bus.subscribe({
      service: 'dlq-probe',
      definitions: [Messages.DeadLettered],
      filterSubject: 'aoe.dlq.>',
      handler: async (m) => {
        deadLetters.push(m.payload);
      },
    });
    await sql(
      mesh.databaseUrl,
      `CREATE TABLE public."${table}" (id int PRIMARY KEY, email text NOT NULL, updated_at timestamptz NOT NULL)`,
      `INSERT INTO public."${table}" SELECT g, 'p' || g || '@example.com', now() - (1000 - g) * interval '1 minute' FROM generate_series(1, 1000) g`,
    );
  });
  afterAll(async () => {
    await sql(mesh.databaseUrl, `DROP TABLE IF EXISTS public."${table}"`);
    await mesh.stop();
  });

  const register = (spec: SourceSpec) => service.platform.store.sources.create({ spec });
  const statusOf = async (id: string) => (await service.platform.store.sources.get(id))?.status;

  it('profiles a CSV source: profile stored, decision recorded, SourceProfiled published with the pipeline, status profiled', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'people.csv'), peopleCsv(300));
      const { store, bus } = service.platform;
      const source = await register({
        kind: 'file',
        path: join(dir, 'people.csv'),
        format: 'auto',
        compression: 'auto',
      });
      const pipeline = {
        pipelineId: 'pl-1',
        target: { kind: 'directory' as const, path: join(dir, 'out'), format: 'parquet' as const },
      };
      const { envelope } = await bus.publish(
        Messages.AnalyzeSource,
        { sourceId: source.id, spec: source.spec, pipeline },
        { correlationId: 'corr-csv' },
      );

      const event = await eventually(() => profiled.find((e) => e.payload.sourceId === source.id), 'SourceProfiled');
      expect(event.correlationId).toBe('corr-csv');
      expect(event.causationId).toBe(envelope.id);
      expect(event.payload.pipeline).toEqual(pipeline);
      expect(event.payload.profile).toMatchObject({
        sourceId: source.id,
        kind: 'file',
        format: 'csv',
        delimiter: ';',
        rowCountEstimate: 300,
      });
      expect(await statusOf(source.id)).toBe('profiled');

      const stored = await store.profiles.latest(source.id);
      expect(stored?.profile).toEqual(event.payload.profile);
      expect(await store.inbox.has('source-analysis', envelope.id)).toBe(true);

      const decisions = await store.decisions.list({ subjectId: source.id });
      expect(decisions.items).toHaveLength(1);
      const [decision] = decisions.items;
      expect(decision).toMatchObject({
        agent: 'source-analysis',
        decidedBy: 'rules',
        accepted: true,
        correlationId: 'corr-csv',
      });
      expect(decision.choice).toMatchObject({ primaryKey: ['id'], rowCountEstimate: 300, profileId: stored!.id });
      expect(decision.choice.piiColumns).toEqual(expect.arrayContaining([{ column: 'email', kinds: ['email'] }]));
      expect(decision.rationale).toMatch(/^Sampled 300 rows \(every row, the whole source\)/);
    });
  });

  it('acts once per command: a redelivery publishes the same event again and stores nothing new', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'a.csv'), 'id,name\n1,a\n2,b\n');
      const { store } = service.platform;
      const source = await register({ kind: 'file', path: join(dir, 'a.csv'), format: 'auto', compression: 'auto' });
      const useCase = service.app.get(AnalyzeSourceUseCase);
      const command = {
        sourceId: source.id,
        spec: source.spec,
        messageId: randomUUID(),
        subject: 'aoe.cmd.source.analyze',
        correlationId: 'corr-once',
      };
      const first = await useCase.execute(command);
      expect(first.outcome).toBe('profiled');
      const again = await useCase.execute(command);
      expect(again).toEqual({ outcome: 'duplicate', profileId: first.profileId });
      expect((await store.profiles.list(source.id)).items).toHaveLength(1);
      expect((await store.decisions.list({ subjectId: source.id })).items).toHaveLength(1);
      await eventually(() => profiled.find((e) => e.payload.sourceId === source.id), 'SourceProfiled');
      // The republished event has the same envelope id: the bus dropped the repeat.
      await new Promise((r) => setTimeout(r, 200));
      expect(profiled.filter((e) => e.payload.sourceId === source.id)).toHaveLength(1);
    });
  });

  it('profiles a PostgreSQL table through the bus', async () => {
    const { bus, store } = service.platform;
    const source = await register({
      kind: 'postgres',
      connection: { url: mesh.databaseUrl },
      table: { schema: 'public', name: table },
    });
    await bus.publish(Messages.AnalyzeSource, { sourceId: source.id, spec: source.spec }, { correlationId: 'corr-pg' });
    const event = await eventually(() => profiled.find((e) => e.payload.sourceId === source.id), 'SourceProfiled');
    expect(event.payload.pipeline).toBeUndefined();
    expect(event.payload.profile).toMatchObject({ primaryKeyConfirmed: true, cursorCandidates: ['updated_at', 'id'] });
    // The declared key first; the unique e-mail column is a candidate of the sample.
    expect(event.payload.profile.primaryKeyCandidates).toEqual([['id'], ['email']]);
    expect(await statusOf(source.id)).toBe('profiled');
    expect((await store.profiles.latest(source.id))?.profile.rowCountEstimate).toBe(1000);
  });

  it('retries an unreachable PostgreSQL source with backoff, then marks it failed and dead-letters the reason', async () => {
    const { bus } = service.platform;
    const port = await closedPort();
    const source = await register({
      kind: 'postgres',
      connection: { host: '127.0.0.1', port, user: 'etl', database: 'shop' },
      table: { schema: 'public', name: 'orders' },
    });
    await bus.publish(
      Messages.AnalyzeSource,
      { sourceId: source.id, spec: source.spec },
      { correlationId: 'corr-down' },
    );
    const letter = await eventually(
      () => deadLetters.find((l) => l.originalData.includes(source.id)),
      'the dead letter',
      40_000,
    );
    expect(letter).toMatchObject({
      kind: 'handler-failed',
      attempts: ANALYZE_RETRY.maxDeliver,
      originalSubject: expect.stringMatching(/aoe\.cmd\.source\.analyze$/),
    });
    expect(letter.reason).toContain('transient-network');
    expect(letter.reason).toContain(`127.0.0.1:${port}`);
    expect(letter.reason).toContain('gave up after the last delivery');
    expect(await statusOf(source.id)).toBe('failed');
  }, 60_000);

  it('fails at once, without retries, for bad credentials and a missing file', async () => {
    const { bus } = service.platform;
    const role = new URL(mesh.databaseUrl);
    role.username = 'no_such_role_aoe';
    const auth = await register({
      kind: 'postgres',
      connection: { url: role.toString() },
      table: { schema: 'public', name: table },
    });
    const missing = await register({
      kind: 'file',
      path: '/nonexistent/aoe/orders-*.csv',
      format: 'auto',
      compression: 'auto',
    });
    await bus.publish(Messages.AnalyzeSource, { sourceId: auth.id, spec: auth.spec }, { correlationId: 'corr-auth' });
    await bus.publish(
      Messages.AnalyzeSource,
      { sourceId: missing.id, spec: missing.spec },
      { correlationId: 'corr-missing' },
    );

    const authLetter = await eventually(
      () => deadLetters.find((l) => l.originalData.includes(auth.id)),
      'the auth dead letter',
    );
    expect(authLetter.attempts).toBe(1);
    expect(authLetter.reason).toMatch(/could not be profiled \(auth\)/);
    expect(authLetter.reason).toContain('no_such_role_aoe');
    const missingLetter = await eventually(
      () => deadLetters.find((l) => l.originalData.includes(missing.id)),
      'the missing-file dead letter',
    );
    expect(missingLetter.attempts).toBe(1);
    expect(missingLetter.reason).toMatch(/\(schema-drift\): no file matches/);
    expect(await statusOf(auth.id)).toBe('failed');
    expect(await statusOf(missing.id)).toBe('failed');
  });

  it('dead-letters a command for a source that is not registered', async () => {
    const useCase = service.app.get(AnalyzeSourceUseCase);
    await expect(
      useCase.execute({
        sourceId: 'never-registered',
        spec: { kind: 'file', path: 'x.csv', format: 'auto', compression: 'auto' },
        messageId: randomUUID(),
        subject: 'aoe.cmd.source.analyze',
        correlationId: 'c',
      }),
    ).rejects.toBeInstanceOf(NonRetryableError);
  });
});
