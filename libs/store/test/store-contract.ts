import {
  ConflictError,
  CorruptRowError,
  InvalidCursorError,
  InvalidSchemaNameError,
  migrations,
  NotFoundError,
  Store,
  type Database,
  type Page,
  type PageRequest,
} from '../src';
import { alertOf, deadLetterOf, decisionOf, fileSpec, planOf, profileOf, TestClock, warehouseTarget } from './fixtures';

export interface StoreUnderTest {
  store: Store;
  /** The store's own database, for writing rows the repositories would refuse. */
  db: Database;
}

export interface StoreContractOptions {
  /** Opens a fresh, migrated store (its own schema or database) using the clock. */
  open(clock: TestClock): Promise<StoreUnderTest>;
  /** Opens a store with the given schema name (only used to check refused names). */
  openWithSchema(schema: string): Promise<Store>;
}

async function collectAll<T>(
  fetch: (page: PageRequest) => Promise<Page<T>>,
  limit: number,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Page<T> = await fetch({ limit, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
    if (pages > 1000) throw new Error('pagination does not end');
  } while (cursor);
  return { items, pages };
}

/** The behaviour every engine must show; run once per engine. */
export function describeStoreContract(engine: string, options: StoreContractOptions): void {
  describe(`store on ${engine}`, () => {
    const clock = new TestClock();
    let store: Store;
    let db: Database;

    beforeAll(async () => {
      ({ store, db } = await options.open(clock));
    });

    afterAll(async () => {
      await store?.close();
    });

    /** A registered source and an active pipeline on it, with fresh ids. */
    let seq = 0;
    async function givenPipeline(): Promise<{ sourceId: string; pipelineId: string }> {
      seq++;
      const source = await store.sources.create({ id: `src-${seq}`, spec: fileSpec() });
      const pipeline = await store.pipelines.create({
        id: `pipe-${seq}`,
        sourceId: source.id,
        name: `pipeline ${seq}`,
        target: warehouseTarget(),
      });
      return { sourceId: source.id, pipelineId: pipeline.id };
    }

    describe('migrations', () => {
      it('are applied once: migrating again finds nothing to do', async () => {
        await expect(store.migrate()).resolves.toEqual([]);
        const applied = await db.query<{ name: string }>('SELECT name FROM schema_migrations');
        expect(applied.rows.map((r) => r.name)).toEqual(migrations.map((m) => m.name));
      });

      it('answers ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        expect(store.dialect).toBe(engine.startsWith('PGlite') ? 'pglite' : 'postgres');
      });
    });

    it('refuses a schema name that is not a plain identifier', async () => {
      for (const schema of ['aoe"; DROP SCHEMA public CASCADE; --', 'Upper', 'pg_catalog', '', 'a-b', 'a'.repeat(64)]) {
        await expect(options.openWithSchema(schema)).rejects.toBeInstanceOf(InvalidSchemaNameError);
      }
    });

    describe('sources', () => {
      it('round-trips a source and changes its status', async () => {
        const created = await store.sources.create({ id: 'src-a', name: 'orders-file', spec: fileSpec() });
        expect(created).toEqual({
          id: 'src-a',
          name: 'orders-file',
          kind: 'file',
          spec: fileSpec(),
          status: 'registered',
          createdAt: clock.now().toISOString(),
          updatedAt: clock.now().toISOString(),
        });
        await expect(store.sources.get('src-a')).resolves.toEqual(created);
        await expect(store.sources.getByName('orders-file')).resolves.toEqual(created);
        clock.advance(1000);
        const profiled = await store.sources.updateStatus('src-a', 'profiled');
        expect(profiled).toMatchObject({ status: 'profiled', updatedAt: clock.now().toISOString() });
        await expect(store.sources.get('missing')).resolves.toBeUndefined();
        await expect(store.sources.updateStatus('missing', 'failed')).resolves.toBeUndefined();
      });

      it('refuses a taken name with a ConflictError', async () => {
        await store.sources.create({ id: 'src-b', name: 'dup-name', spec: fileSpec() });
        await expect(store.sources.create({ id: 'src-c', name: 'dup-name', spec: fileSpec() })).rejects.toBeInstanceOf(
          ConflictError,
        );
      });

      it('lists by status and kind', async () => {
        await store.sources.create({ id: 'src-failed', spec: fileSpec(), status: 'failed' });
        const failed = await store.sources.list({ status: 'failed' });
        expect(failed.items.map((s) => s.id)).toEqual(['src-failed']);
        expect(failed.nextCursor).toBeNull();
        const files = await store.sources.list({ kind: 'file', limit: 500 });
        expect(files.items.map((s) => s.id)).toContain('src-failed');
        await expect(store.sources.list({ kind: 's3' })).resolves.toEqual({ items: [], nextCursor: null });
      });
    });

    describe('profiles', () => {
      it('keeps every profile and returns the latest', async () => {
        const { sourceId } = await givenPipeline();
        const first = await store.profiles.record(profileOf(sourceId, '2025-01-01T00:00:00.000Z'), 'prof-1');
        await store.profiles.record(profileOf(sourceId, '2025-01-02T00:00:00.000Z'), 'prof-2');
        expect(first).toEqual({
          id: 'prof-1',
          sourceId,
          profile: profileOf(sourceId, '2025-01-01T00:00:00.000Z'),
          profiledAt: '2025-01-01T00:00:00.000Z',
        });
        await expect(store.profiles.get('prof-1')).resolves.toEqual(first);
        expect((await store.profiles.latest(sourceId))?.id).toBe('prof-2');
        expect((await store.profiles.list(sourceId)).items.map((p) => p.id)).toEqual(['prof-2', 'prof-1']);
      });

      it('refuses a profile of an unregistered source', async () => {
        await expect(store.profiles.record(profileOf('nobody'))).rejects.toBeInstanceOf(ConflictError);
      });
    });

    describe('pipelines and plans', () => {
      it('round-trips a pipeline with the default policy', async () => {
        const { sourceId, pipelineId } = await givenPipeline();
        const pipeline = await store.pipelines.get(pipelineId);
        expect(pipeline).toEqual({
          id: pipelineId,
          sourceId,
          name: expect.any(String),
          target: warehouseTarget(),
          policy: { maskPii: false, schemaEvolution: 'additive' },
          status: 'active',
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        });
        expect((await store.pipelines.setSchedule(pipelineId, '0 * * * *'))?.schedule).toBe('0 * * * *');
        expect((await store.pipelines.setSchedule(pipelineId, null))?.schedule).toBeUndefined();
      });

      it('versions plans and points the pipeline at its current one', async () => {
        const { sourceId, pipelineId } = await givenPipeline();
        await expect(store.plans.nextVersion(pipelineId)).resolves.toBe(1);
        await expect(store.pipelines.setCurrentPlanVersion(pipelineId, 1)).rejects.toBeInstanceOf(ConflictError);

        const v1 = await store.plans.save(planOf(pipelineId, sourceId, 1));
        expect(v1).toEqual({
          pipelineId,
          version: 1,
          plan: planOf(pipelineId, sourceId, 1),
          createdBy: 'rules',
          createdAt: '2025-01-01T00:00:00.000Z',
        });
        await store.plans.save(planOf(pipelineId, sourceId, 2));
        await expect(store.plans.save(planOf(pipelineId, sourceId, 2))).rejects.toBeInstanceOf(ConflictError);
        await expect(store.plans.save(planOf('no-such-pipeline', sourceId, 1))).rejects.toBeInstanceOf(ConflictError);

        await expect(store.plans.nextVersion(pipelineId)).resolves.toBe(3);
        await expect(store.plans.get(pipelineId, 1)).resolves.toEqual(v1);
        expect((await store.plans.latest(pipelineId))?.version).toBe(2);
        const pages = await collectAll((page) => store.plans.list(pipelineId, page), 1);
        expect(pages.items.map((p) => p.version)).toEqual([2, 1]);
        const [extract, load] = planOf(pipelineId, sourceId, 3).tasks;
        const incrementalExtract = {
          ...extract,
          params: { ...extract.params, mode: 'incremental', cursorColumn: 'id' },
        };
        await store.plans.save({
          ...planOf(pipelineId, sourceId, 3),
          tasks: [incrementalExtract, load] as (typeof extract)[],
        });
        await store.plans.save({ ...planOf(pipelineId, sourceId, 4), tasks: [{ ...load, dependsOn: [] }] });
        const modes = await store.plans.extractModes(pipelineId, 2);
        expect([...modes].sort(([a], [b]) => a - b)).toEqual([
          [2, 'full'],
          [3, 'incremental'],
          [4, undefined],
        ]);

        const current = await store.pipelines.setCurrentPlanVersion(pipelineId, 2);
        expect(current?.currentPlanVersion).toBe(2);
      });

      it('saves a plan and activates it in one transaction, or not at all', async () => {
        const { sourceId, pipelineId } = await givenPipeline();
        await expect(
          store.transaction(async (tx) => {
            await tx.plans.save(planOf(pipelineId, sourceId, 1));
            await tx.pipelines.setCurrentPlanVersion(pipelineId, 1);
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        await expect(store.plans.get(pipelineId, 1)).resolves.toBeUndefined();

        await store.transaction(async (tx) => {
          await tx.plans.save(planOf(pipelineId, sourceId, 1));
          await tx.pipelines.setCurrentPlanVersion(pipelineId, 1);
        });
        expect((await store.pipelines.get(pipelineId))?.currentPlanVersion).toBe(1);
      });

      it('leaves deleted pipelines out of lists unless asked', async () => {
        const { sourceId, pipelineId } = await givenPipeline();
        await store.pipelines.updateStatus(pipelineId, 'deleted');
        expect((await store.pipelines.list({ sourceId })).items).toEqual([]);
        expect((await store.pipelines.list({ sourceId, includeDeleted: true })).items.map((p) => p.id)).toEqual([
          pipelineId,
        ]);
        expect((await store.pipelines.list({ sourceId, status: 'deleted' })).items.map((p) => p.id)).toEqual([
          pipelineId,
        ]);
      });
    });

    describe('runs', () => {
      it('moves a run through its lifecycle and ignores late events', async () => {
        const { pipelineId } = await givenPipeline();
        const run = await store.runs.create({ id: 'run-life', pipelineId, trigger: 'manual' });
        expect(run).toEqual({
          id: 'run-life',
          pipelineId,
          status: 'queued',
          trigger: 'manual',
          createdAt: clock.now().toISOString(),
        });

        const settings = { batchSize: 500, readParallelism: 2, loadConcurrency: 1 };
        const started = await store.runs.updateStatus('run-life', 'running', {
          at: '2025-02-01T00:00:00.000Z',
          settings,
        });
        expect(started.applied).toBe(true);
        expect(started.run).toMatchObject({ status: 'running', startedAt: '2025-02-01T00:00:00.000Z', settings });

        const stats = { rowsRead: 10, rowsLoaded: 9, rowsQuarantined: 1, bytes: 1234, durationMs: 50 };
        const done = await store.runs.updateStatus('run-life', 'succeeded', {
          at: '2025-02-01T00:01:00.000Z',
          stats,
          cpuSeconds: 1.5,
          peakMemoryBytes: 64 * 1024 * 1024,
          bytesMoved: 5_000_000_000,
        });
        expect(done).toEqual({
          applied: true,
          run: {
            ...run,
            status: 'succeeded',
            settings,
            stats,
            cpuSeconds: 1.5,
            peakMemoryBytes: 64 * 1024 * 1024,
            bytesMoved: 5_000_000_000,
            startedAt: '2025-02-01T00:00:00.000Z',
            finishedAt: '2025-02-01T00:01:00.000Z',
          },
        });

        const late = await store.runs.updateStatus('run-life', 'running');
        expect(late).toEqual({ applied: false, run: done.run });
        await expect(store.runs.get('run-life')).resolves.toEqual(done.run);
      });

      it('records a failure with its classified error', async () => {
        const { pipelineId } = await givenPipeline();
        await store.runs.create({ id: 'run-fail', pipelineId, trigger: 'schedule' });
        const error = { class: 'auth' as const, message: 'password rejected', retryable: false };
        const failed = await store.runs.updateStatus('run-fail', 'failed', { error });
        expect(failed.run).toMatchObject({ status: 'failed', error, finishedAt: clock.now().toISOString() });
        expect(failed.run.startedAt).toBeUndefined();
      });

      it('refuses unknown runs, pipelines and plan versions', async () => {
        const { pipelineId } = await givenPipeline();
        await expect(store.runs.updateStatus('no-run', 'running')).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.runs.create({ pipelineId: 'no-pipe', trigger: 'api' })).rejects.toBeInstanceOf(
          ConflictError,
        );
        await expect(store.runs.create({ pipelineId, planVersion: 9, trigger: 'api' })).rejects.toBeInstanceOf(
          ConflictError,
        );
        await store.runs.create({ id: 'run-dup', pipelineId, trigger: 'api' });
        await expect(store.runs.create({ id: 'run-dup', pipelineId, trigger: 'api' })).rejects.toBeInstanceOf(
          ConflictError,
        );
      });

      it('pages through every run exactly once, newest first, across equal timestamps', async () => {
        const { pipelineId } = await givenPipeline();
        const ids: string[] = [];
        for (let i = 0; i < 23; i++) {
          // Groups of three runs share a creation time, so the id must break ties.
          if (i % 3 === 0) clock.advance(1000);
          const run = await store.runs.create({
            id: `page-run-${String(i).padStart(2, '0')}`,
            pipelineId,
            trigger: 'api',
          });
          ids.push(run.id);
        }
        const expected = [...ids].reverse();
        for (const limit of [1, 4, 5, 23, 100]) {
          const { items, pages } = await collectAll((page) => store.runs.list({ pipelineId, ...page }), limit);
          expect(items.map((r) => r.id)).toEqual(expected);
          expect(pages).toBe(Math.max(1, Math.ceil(23 / limit)));
        }
      });

      it('filters by status', async () => {
        const { pipelineId } = await givenPipeline();
        for (const id of ['f-1', 'f-2', 'f-3']) await store.runs.create({ id, pipelineId, trigger: 'api' });
        await store.runs.updateStatus('f-1', 'running');
        await store.runs.updateStatus('f-2', 'cancelled');
        const one = await store.runs.list({ pipelineId, status: 'running' });
        expect(one.items.map((r) => r.id)).toEqual(['f-1']);
        const two = await store.runs.list({ pipelineId, status: ['queued', 'cancelled'] });
        expect(two.items.map((r) => r.id).sort()).toEqual(['f-2', 'f-3']);
        await expect(store.runs.list({ pipelineId, status: [] })).resolves.toEqual({ items: [], nextCursor: null });
      });

      it('refuses a cursor it did not make', async () => {
        await expect(store.runs.list({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
        const integerCursor = Buffer.from(JSON.stringify([3])).toString('base64url');
        await expect(store.runs.list({ cursor: integerCursor })).rejects.toBeInstanceOf(InvalidCursorError);
      });
    });

    describe('task runs', () => {
      it('tracks attempts and ignores stale events', async () => {
        const { pipelineId } = await givenPipeline();
        const runId = (await store.runs.create({ pipelineId, trigger: 'api' })).id;
        const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();

        const started = await store.taskRuns.applyEvent({
          runId,
          pipelineId,
          taskId: 'extract',
          status: 'started',
          attempt: 1,
          at: at(1),
        });
        expect(started).toEqual({
          applied: true,
          taskRun: { runId, taskId: 'extract', status: 'running', attempt: 1, startedAt: at(1) },
        });
        await store.taskRuns.applyEvent({
          runId,
          pipelineId,
          taskId: 'extract',
          status: 'progress',
          attempt: 1,
          at: at(2),
          rows: 10,
          bytes: 100,
        });
        const error = { class: 'timeout' as const, message: 'read timed out', retryable: true };
        const failed = await store.taskRuns.applyEvent({
          runId,
          pipelineId,
          taskId: 'extract',
          status: 'failed',
          attempt: 1,
          at: at(3),
          error,
        });
        expect(failed.taskRun).toEqual({
          runId,
          taskId: 'extract',
          status: 'failed',
          attempt: 1,
          rows: 10,
          bytes: 100,
          error,
          startedAt: at(1),
          finishedAt: at(3),
        });

        const lateProgress = await store.taskRuns.applyEvent({
          runId,
          pipelineId,
          taskId: 'extract',
          status: 'progress',
          attempt: 1,
          at: at(4),
          rows: 11,
        });
        expect(lateProgress).toEqual({ applied: false, taskRun: failed.taskRun });

        const retry = await store.taskRuns.upsert({
          runId,
          taskId: 'extract',
          status: 'running',
          attempt: 2,
          at: at(5),
        });
        expect(retry.taskRun).toEqual({ runId, taskId: 'extract', status: 'running', attempt: 2, startedAt: at(5) });
        const staleAttempt = await store.taskRuns.upsert({
          runId,
          taskId: 'extract',
          status: 'failed',
          attempt: 1,
          at: at(6),
        });
        expect(staleAttempt.applied).toBe(false);
        const succeeded = await store.taskRuns.upsert({
          runId,
          taskId: 'extract',
          status: 'succeeded',
          attempt: 2,
          rows: 20,
          at: at(7),
        });
        expect(succeeded.taskRun).toMatchObject({
          status: 'succeeded',
          attempt: 2,
          rows: 20,
          startedAt: at(5),
          finishedAt: at(7),
        });
        expect(succeeded.taskRun.error).toBeUndefined();
      });

      it("lists a run's tasks in pages", async () => {
        const { pipelineId } = await givenPipeline();
        const runId = (await store.runs.create({ pipelineId, trigger: 'api' })).id;
        const taskIds = ['a', 'b', 'c', 'd', 'e'];
        for (const taskId of [...taskIds].reverse())
          await store.taskRuns.upsert({ runId, taskId, status: 'queued', attempt: 1 });
        const { items, pages } = await collectAll((page) => store.taskRuns.listByRun(runId, page), 2);
        expect(items.map((t) => t.taskId)).toEqual(taskIds);
        expect(pages).toBe(3);
        await expect(
          store.taskRuns.upsert({ runId: 'no-run', taskId: 'a', status: 'queued', attempt: 1 }),
        ).rejects.toBeInstanceOf(ConflictError);
      });
    });

    describe('agent decisions', () => {
      it('round-trips decisions, once per id', async () => {
        const decision = decisionOf('dec-1', 'subject-1', '2025-01-01T00:00:01.000Z');
        await expect(store.decisions.record(decision)).resolves.toBe(true);
        await expect(store.decisions.record(decision)).resolves.toBe(false);
        await expect(store.decisions.get('dec-1')).resolves.toEqual(decision);

        const model = {
          ...decisionOf('dec-2', 'subject-1', '2025-01-01T00:00:02.000Z'),
          decidedBy: 'model' as const,
          model: 'gpt-x',
          accepted: false,
          rejectionReason: 'widened the plan',
        };
        await store.decisions.record(model);
        await expect(store.decisions.get('dec-2')).resolves.toEqual(model);
        await store.decisions.record(decisionOf('dec-3', 'subject-2', '2025-01-01T00:00:03.000Z'));

        const about1 = await store.decisions.list({ subjectId: 'subject-1' });
        expect(about1.items.map((d) => d.id)).toEqual(['dec-2', 'dec-1']);
        const { items } = await collectAll(
          (page) => store.decisions.list({ correlationId: 'corr-1', agent: 'planner', ...page }),
          1,
        );
        expect(items.map((d) => d.id)).toEqual(['dec-3', 'dec-2', 'dec-1']);
        expect((await store.decisions.latestForInput('planner', decision.inputDigest))?.id).toBe('dec-3');
      });
    });

    describe('alerts', () => {
      it('records, lists and acknowledges alerts', async () => {
        const { pipelineId } = await givenPipeline();
        const first = alertOf('alert-1', pipelineId, '2025-01-01T00:00:01.000Z');
        await expect(store.alerts.record(first)).resolves.toBe(true);
        await expect(store.alerts.record(first)).resolves.toBe(false);
        await store.alerts.record({
          ...alertOf('alert-2', pipelineId, '2025-01-01T00:00:02.000Z'),
          severity: 'critical',
          runId: 'r-1',
        });
        await expect(store.alerts.get('alert-1')).resolves.toEqual(first);

        const acked = await store.alerts.acknowledge('alert-1', '2025-01-03T00:00:00.000Z');
        expect(acked).toEqual({ ...first, acknowledgedAt: '2025-01-03T00:00:00.000Z' });
        expect((await store.alerts.acknowledge('alert-1', '2025-01-04T00:00:00.000Z'))?.acknowledgedAt).toBe(
          '2025-01-03T00:00:00.000Z',
        );
        await expect(store.alerts.acknowledge('no-alert')).resolves.toBeUndefined();

        const open = await store.alerts.list({ pipelineId, open: true });
        expect(open.items.map((a) => a.id)).toEqual(['alert-2']);
        expect((await store.alerts.list({ pipelineId, open: false })).items.map((a) => a.id)).toEqual(['alert-1']);
        expect((await store.alerts.list({ runId: 'r-1', severity: 'critical' })).items.map((a) => a.id)).toEqual([
          'alert-2',
        ]);
      });
    });

    describe('checkpoints', () => {
      it('upserts a cursor per pipeline and stream', async () => {
        const { pipelineId } = await givenPipeline();
        await expect(store.checkpoints.get(pipelineId, 'orders')).resolves.toBeUndefined();
        const first = await store.checkpoints.put(pipelineId, 'orders', { value: '2025-01-01', keys: [1, 2] });
        clock.advance(1000);
        const second = await store.checkpoints.put(pipelineId, 'orders', { value: '2025-01-02', keys: [3] });
        expect(second).toEqual({
          pipelineId,
          stream: 'orders',
          cursor: { value: '2025-01-02', keys: [3] },
          updatedAt: clock.now().toISOString(),
        });
        expect(second.updatedAt > first.updatedAt).toBe(true);
        await expect(store.checkpoints.get(pipelineId, 'orders')).resolves.toEqual(second);

        await store.checkpoints.put(pipelineId, 'customers', 42);
        const { items } = await collectAll((page) => store.checkpoints.list(pipelineId, page), 1);
        expect(items.map((c) => [c.stream, c.cursor])).toEqual([
          ['customers', 42],
          ['orders', { value: '2025-01-02', keys: [3] }],
        ]);

        await expect(store.checkpoints.reset(pipelineId, 'orders')).resolves.toBe(1);
        await expect(store.checkpoints.reset(pipelineId)).resolves.toBe(1);
        await expect(store.checkpoints.put('no-pipe', 's', 1)).rejects.toBeInstanceOf(ConflictError);
      });
    });

    describe('dead letters', () => {
      it('records, lists and marks dead letters replayed', async () => {
        const letter = deadLetterOf('planner', '2025-01-01T00:00:01.000Z');
        const recorded = await store.deadLetters.record(letter, 'AOE_DLQ:1');
        expect(recorded).toEqual({ id: 'AOE_DLQ:1', deadLetter: letter });
        await expect(store.deadLetters.record({ ...letter, reason: 'redelivered' }, 'AOE_DLQ:1')).resolves.toEqual(
          recorded,
        );
        const other = await store.deadLetters.record(deadLetterOf('monitor', '2025-01-01T00:00:02.000Z'));

        await expect(store.deadLetters.get('AOE_DLQ:1')).resolves.toEqual(recorded);
        expect((await store.deadLetters.list({ service: 'planner' })).items).toEqual([recorded]);

        const replayed = await store.deadLetters.markReplayed(other.id, '2025-01-05T00:00:00.000Z');
        expect(replayed).toEqual({ ...other, replayedAt: '2025-01-05T00:00:00.000Z' });
        await expect(store.deadLetters.markReplayed('nope')).resolves.toBeUndefined();
        expect((await store.deadLetters.list({ replayed: true })).items.map((d) => d.id)).toEqual([other.id]);
        const { items } = await collectAll((page) => store.deadLetters.list({ replayed: false, ...page }), 1);
        expect(items.map((d) => d.id)).toEqual(['AOE_DLQ:1']);
      });
    });

    describe('inbox', () => {
      it('accepts a message once per service', async () => {
        await expect(store.inbox.recordOnce('planner', 'msg-1', 'aoe.evt.source.profiled')).resolves.toBe(true);
        await expect(store.inbox.recordOnce('planner', 'msg-1', 'aoe.evt.source.profiled')).resolves.toBe(false);
        await expect(store.inbox.recordOnce('optimizer', 'msg-1', 'aoe.evt.source.profiled')).resolves.toBe(true);
        await expect(store.inbox.has('planner', 'msg-1')).resolves.toBe(true);
        await store.inbox.forget('planner', 'msg-1');
        await expect(store.inbox.recordOnce('planner', 'msg-1', 'aoe.evt.source.profiled')).resolves.toBe(true);
      });

      it('lets exactly one of many concurrent deliveries through', async () => {
        const results = await Promise.all(
          Array.from({ length: 8 }, () => store.inbox.recordOnce('dispatcher', 'msg-race', 'aoe.cmd.run.requested')),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('forgets a message whose handler transaction rolled back', async () => {
        await expect(
          store.transaction(async (tx) => {
            expect(await tx.inbox.recordOnce('monitor', 'msg-tx', 'aoe.evt.run.failed')).toBe(true);
            throw new Error('handler failed');
          }),
        ).rejects.toThrow('handler failed');
        await expect(store.inbox.has('monitor', 'msg-tx')).resolves.toBe(false);
      });

      it('prunes old records', async () => {
        await store.inbox.recordOnce('gateway', 'msg-old', 's');
        const removed = await store.inbox.prune(new Date(clock.now().getTime() + 1).toISOString());
        expect(removed).toBeGreaterThanOrEqual(1);
        await expect(store.inbox.has('gateway', 'msg-old')).resolves.toBe(false);
      });
    });

    describe('recovery', () => {
      const failure = (runId: string, pipelineId: string, sourceId: string, attempt = 1) => ({
        runId,
        taskId: 'extract',
        attempt,
        pipelineId,
        sourceId,
        failureClass: 'transient-network' as const,
        failedAt: clock.now().toISOString(),
      });

      it('lets one claim per (run, task, attempt) through; a released or stale undecided claim is taken over', async () => {
        const { pipelineId, sourceId } = await givenPipeline();
        const staleBefore = () => new Date(clock.now().getTime() - 60_000).toISOString();
        const results = await Promise.all(
          Array.from({ length: 6 }, () =>
            store.recoveryActions.claim(failure('rec-run', pipelineId, sourceId), staleBefore()),
          ),
        );
        expect(results.filter((r) => r === 'claimed')).toHaveLength(1);
        expect(results.filter((r) => r === 'pending')).toHaveLength(5);

        await store.recoveryActions.release({ runId: 'rec-run', taskId: 'extract', attempt: 1 });
        await expect(
          store.recoveryActions.claim(failure('rec-run', pipelineId, sourceId), staleBefore()),
        ).resolves.toBe('claimed');
        clock.advance(61_000);
        // Its claimant died before deciding: after the lease, another takes it over.
        await expect(
          store.recoveryActions.claim(failure('rec-run', pipelineId, sourceId), staleBefore()),
        ).resolves.toBe('claimed');
        await expect(
          store.recoveryActions.claim(failure('rec-run', pipelineId, sourceId, 2), staleBefore()),
        ).resolves.toBe('claimed');

        await store.recoveryActions.decide(
          { runId: 'rec-run', taskId: 'extract', attempt: 1 },
          { action: 'shrink-batch', decisionId: 'd-1', reason: 'smaller', overrides: { batchSize: 250 } },
        );
        clock.advance(61_000);
        await expect(
          store.recoveryActions.claim(failure('rec-run', pipelineId, sourceId), staleBefore()),
        ).resolves.toBe('decided');
        const rows = await store.recoveryActions.listByRun('rec-run');
        expect(rows.map((r) => [r.attempt, r.action, r.overrides])).toEqual([
          [1, 'shrink-batch', { batchSize: 250 }],
          [2, undefined, undefined],
        ]);
        expect(rows[0]).toMatchObject({ pipelineId, sourceId, failureClass: 'transient-network', decisionId: 'd-1' });
        const since = new Date(clock.now().getTime() - 600_000).toISOString();
        expect(await store.recoveryActions.listRecent({ sourceId, since })).toHaveLength(2);
        expect(await store.recoveryActions.listRecent({ sourceId: 'elsewhere', since })).toHaveLength(0);
      });

      it("keeps a source's circuit: closed, open until retryAt, half-open after, re-opened, closed", async () => {
        const { sourceId } = await givenPipeline();
        expect(await store.circuits.get(sourceId)).toMatchObject({ state: 'closed', trips: 0 });
        const retryAt = new Date(clock.now().getTime() + 30_000).toISOString();
        expect(await store.circuits.open(sourceId, { retryAt, reason: 'timeouts' })).toMatchObject({
          state: 'open',
          trips: 1,
          retryAt,
          reason: 'timeouts',
        });
        clock.advance(30_000);
        expect((await store.circuits.get(sourceId)).state).toBe('half-open');
        const later = new Date(clock.now().getTime() + 60_000).toISOString();
        expect(await store.circuits.open(sourceId, { retryAt: later, reason: 'again' })).toMatchObject({
          state: 'open',
          trips: 2,
        });
        await expect(store.circuits.close(sourceId)).resolves.toBe(true);
        await expect(store.circuits.close(sourceId)).resolves.toBe(false);
        expect(await store.circuits.get(sourceId)).toMatchObject({ state: 'closed', trips: 0 });
      });

      it('reopens a failed run only, clearing its error', async () => {
        const { pipelineId } = await givenPipeline();
        await store.runs.create({ id: 'run-reopen', pipelineId, trigger: 'manual' });
        await store.runs.updateStatus('run-reopen', 'running');
        await expect(store.runs.reopen('run-reopen')).resolves.toBeUndefined();
        const error = { class: 'timeout' as const, message: 'slow', retryable: true };
        await store.runs.updateStatus('run-reopen', 'failed', { error });
        const reopened = await store.runs.reopen('run-reopen');
        expect(reopened).toMatchObject({ status: 'running' });
        expect(reopened?.error).toBeUndefined();
        expect(reopened?.finishedAt).toBeUndefined();
        expect((await store.runs.updateStatus('run-reopen', 'succeeded')).applied).toBe(true);
      });

      it('replaces run statistics with those of a later finish (a recovered run), never an earlier one', async () => {
        const base = { pipelineId: 'p-stats', attempts: 1, retries: 0, failedTasks: 1 };
        await store.runStats.record({
          ...base,
          runId: 'rs-1',
          status: 'failed',
          finishedAt: '2025-03-01T00:00:00.000Z',
        });
        const final = { ...base, runId: 'rs-1', status: 'succeeded' as const, rowsLoaded: 10, attempts: 2, retries: 2 };
        await expect(store.runStats.record({ ...final, finishedAt: '2025-03-01T00:01:00.000Z' })).resolves.toBe(true);
        await expect(
          store.runStats.record({ ...base, runId: 'rs-1', status: 'failed', finishedAt: '2025-03-01T00:00:30.000Z' }),
        ).resolves.toBe(false);
        expect(await store.runStats.get('rs-1')).toMatchObject({ status: 'succeeded', rowsLoaded: 10, attempts: 2 });
      });
    });

    describe('nested transactions', () => {
      it('rolls back an inner failure to its savepoint and commits the rest', async () => {
        await db.transaction(async (tx) => {
          await tx.query(`INSERT INTO inbox (service, message_id, subject) VALUES ('nest', 'a', 's')`);
          await expect(
            tx.transaction(async (inner) => {
              await inner.query(`INSERT INTO inbox (service, message_id, subject) VALUES ('nest', 'b', 's')`);
              throw new Error('inner');
            }),
          ).rejects.toThrow('inner');
          await tx.transaction(async (inner) => {
            await inner.query(`INSERT INTO inbox (service, message_id, subject) VALUES ('nest', 'c', 's')`);
          });
        });
        const kept = await db.query<{ message_id: string }>(
          `SELECT message_id FROM inbox WHERE service = 'nest' ORDER BY 1`,
        );
        expect(kept.rows.map((r) => r.message_id)).toEqual(['a', 'c']);
      });
    });

    describe('api keys', () => {
      it('stores a key hash, lists, and revokes once', async () => {
        const key = await store.apiKeys.create({
          id: 'k1',
          name: 'ci',
          scope: 'write',
          secretHash: 'ab'.repeat(32),
          createdBy: 'cli',
        });
        expect(key).toEqual({
          id: 'k1',
          name: 'ci',
          scope: 'write',
          secretHash: 'ab'.repeat(32),
          createdBy: 'cli',
          createdAt: clock.now().toISOString(),
        });
        await expect(
          store.apiKeys.create({ id: 'k1', name: 'x', scope: 'read', secretHash: 'x', createdBy: 'cli' }),
        ).rejects.toBeInstanceOf(ConflictError);
        await expect(store.apiKeys.get('k1')).resolves.toEqual(key);
        const revoked = await store.apiKeys.revoke('k1', '2030-01-01T00:00:00.000Z');
        expect(revoked?.revokedAt).toBe('2030-01-01T00:00:00.000Z');
        expect((await store.apiKeys.revoke('k1'))?.revokedAt).toBe('2030-01-01T00:00:00.000Z');
        await expect(store.apiKeys.revoke('missing')).resolves.toBeUndefined();
        await expect(store.apiKeys.get('missing')).resolves.toBeUndefined();
        expect((await store.apiKeys.list({ revoked: true })).items.map((k) => k.id)).toContain('k1');
        expect((await store.apiKeys.list({ revoked: false })).items.map((k) => k.id)).not.toContain('k1');
      });
    });

    describe('audit records', () => {
      it('appends records and lists them newest first, by actor', async () => {
        const first = await store.audit.record({
          actor: 'key:a',
          action: 'POST /v1/runs',
          target: 'pipe-1',
          result: 'succeeded',
          statusCode: 202,
          requestId: 'req-1',
        });
        clock.advance(1000);
        await store.audit.record({
          actor: 'key:b',
          action: 'DELETE /v1/pipelines/:id',
          result: 'denied',
          statusCode: 403,
        });
        expect(first).toMatchObject({ actor: 'key:a', target: 'pipe-1', result: 'succeeded', requestId: 'req-1' });
        const all = await store.audit.list({ limit: 1 });
        expect(all.items[0]).toMatchObject({ actor: 'key:b', result: 'denied' });
        expect(all.items[0]?.target).toBeUndefined();
        expect(all.nextCursor).not.toBeNull();
        expect((await store.audit.list({ actor: 'key:a' })).items).toEqual([first]);
      });
    });

    describe('rows that break their contract', () => {
      it('fail with a CorruptRowError naming the table, row and field', async () => {
        const { pipelineId } = await givenPipeline();
        await store.runs.create({ id: 'run-corrupt', pipelineId, trigger: 'api' });
        await db.query(`UPDATE runs SET stats = '{"rowsRead": -1}'::jsonb WHERE id = 'run-corrupt'`);
        const failure = store.runs.get('run-corrupt');
        await expect(failure).rejects.toBeInstanceOf(CorruptRowError);
        await expect(store.runs.get('run-corrupt')).rejects.toThrow(/runs row run-corrupt .*stats/);

        await db.query(`UPDATE pipelines SET target = '{"kind": "ftp"}'::jsonb WHERE id = $1`, [pipelineId]);
        await expect(store.pipelines.get(pipelineId)).rejects.toThrow(/pipelines row .* target/);
      });
    });
  });
}
