import { randomUUID } from 'node:crypto';
import { Messages } from '@aoe/contracts';
import { DispatcherModule } from '../src';
import {
  eventually,
  expectedChecksum,
  plan,
  record,
  setUpPipeline,
  SlowConnectorProvider,
  tableChecksum,
  tableExists,
  writeEventsCsv,
  useDispatcherTestBed,
} from './helpers';

process.env.AOE_PROGRESS_INTERVAL_MS = '50';
process.env.AOE_CANCEL_POLL_MS = '50';
process.env.AOE_SCHEDULER_INTERVAL_MS = '0';

describe('dispatcher: runs on the embedded executor, over real NATS JetStream and PostgreSQL', () => {
  const bed = useDispatcherTestBed('disp', () => DispatcherModule.with({ connectors: SlowConnectorProvider }));
  afterEach(() => {
    SlowConnectorProvider.delayMs = 0;
  });

  async function runToEnd(pipelineId: string, runId: string = randomUUID()) {
    const { store, bus } = bed.dispatcher.platform;
    await bus.publish(Messages.RunRequested, { runId, pipelineId, trigger: 'manual' }, { correlationId: runId });
    return eventually(async () => {
      const run = await store.runs.get(runId);
      return run && ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
    }, `run ${runId} to end`);
  }

  it('runs a plan end to end into PostgreSQL: counts, checksums, task runs, stats and resources', async () => {
    const { store, bus } = bed.dispatcher.platform;
    const csv = await writeEventsCsv(5_000);
    const runEvents = await record(bus, 'aoe.evt.run.>', [
      Messages.RunStarted,
      Messages.RunSucceeded,
      Messages.RunFailed,
      Messages.RunCancelled,
    ]);
    const { pipelineId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target: bed.target('events'),
      planFor: (ids) => plan({ ...ids, target: bed.target('events') }),
    });

    const run = await runToEnd(pipelineId);
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'manual', planVersion: 1 });
    expect(run.stats).toMatchObject({ rowsRead: 5_000, rowsLoaded: 5_000, rowsQuarantined: 0 });
    expect(run.stats!.bytes).toBeGreaterThan(0);
    expect(run.settings).toEqual({ batchSize: 1000, readParallelism: 1, loadConcurrency: 2 });
    expect(run.cpuSeconds).toBeGreaterThan(0);
    expect(run.peakMemoryBytes).toBeGreaterThan(0);
    expect(run.bytesMoved).toBe(run.stats!.bytes);

    expect(await tableChecksum(bed.pg, `"${bed.targetSchema}".events`)).toEqual({
      count: 5_000,
      md5: expectedChecksum(csv.rows),
    });

    const tasks = (await store.taskRuns.listByRun(run.id)).items;
    expect(tasks.map((t) => [t.taskId, t.status, t.rows])).toEqual([
      ['check', 'succeeded', 5_000],
      ['clean', 'succeeded', 5_000],
      ['extract', 'succeeded', 5_000],
      ['load', 'succeeded', 5_000],
    ]);

    const mine = await eventually(async () => {
      const events = runEvents.filter((e) => e.payload.runId === run.id);
      return events.length === 2 ? events : undefined;
    }, 'the run events');
    expect(mine.map((e) => e.type)).toEqual(['run.started', 'run.succeeded']);
    expect(mine[1].payload.stats).toEqual(run.stats);
    expect(mine.every((e) => e.correlationId === run.id)).toBe(true);

    // The same request again (a replay) changes nothing.
    await runToEnd(pipelineId, run.id);
    expect((await tableChecksum(bed.pg, `"${bed.targetSchema}".events`)).count).toBe(5_000);
  });

  it('publishes task events: started, throttled progress with rows and bytes, succeeded', async () => {
    const { store, bus } = bed.dispatcher.platform;
    SlowConnectorProvider.delayMs = 30;
    const csv = await writeEventsCsv(20_000);
    const taskEvents = await record(bus, 'aoe.evt.task.>', [
      Messages.TaskStarted,
      Messages.TaskProgress,
      Messages.TaskSucceeded,
      Messages.TaskFailed,
    ]);
    const { pipelineId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target: bed.target('progress'),
      planFor: (ids) => plan({ ...ids, target: bed.target('progress'), batchSize: 500 }),
    });
    const run = await runToEnd(pipelineId);
    expect(run.status).toBe('succeeded');

    const events = await eventually(async () => {
      const mine = taskEvents.filter((e) => e.payload.runId === run.id);
      return mine.filter((e) => e.type === 'task.succeeded').length === 4 ? mine : undefined;
    }, 'the task events');
    expect(
      events
        .filter((e) => e.type === 'task.started')
        .map((e) => e.payload.taskId as string)
        .sort(),
    ).toEqual(['check', 'clean', 'extract', 'load']);
    const progress = events.filter((e) => e.type === 'task.progress');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    // Throttled: far fewer reports than batches (40), each for the load task, rows growing.
    expect(progress.length).toBeLessThan(40);
    expect(progress.every((e) => e.payload.taskId === 'load' && e.payload.attempt === 1)).toBe(true);
    const rows = progress.map((e) => e.payload.rows as number);
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    expect(rows.at(-1)).toBeLessThanOrEqual(20_000);
    expect(progress.every((e) => (e.payload.bytes as number) > 0)).toBe(true);
    const loadDone = events.find((e) => e.type === 'task.succeeded' && e.payload.taskId === 'load')!;
    expect(loadDone.payload.rows).toBe(20_000);
  });

  it('cancels a run mid-way: the target is left as it was', async () => {
    const { store, bus } = bed.dispatcher.platform;
    const csv = await writeEventsCsv(3_000);
    const { pipelineId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target: bed.target('cancelled'),
      planFor: (ids) => plan({ ...ids, target: bed.target('cancelled'), batchSize: 100 }),
    });
    // A first, complete load: the state to keep.
    expect((await runToEnd(pipelineId)).status).toBe('succeeded');
    const before = await tableChecksum(bed.pg, `"${bed.targetSchema}".cancelled`);
    expect(before.count).toBe(3_000);

    SlowConnectorProvider.delayMs = 100;
    const runId = randomUUID();
    await bus.publish(Messages.RunRequested, { runId, pipelineId, trigger: 'manual' }, { correlationId: runId });
    await eventually(async () => {
      const load = await store.taskRuns.get(runId, 'load');
      return load?.rows && load.rows >= 300 ? load : undefined;
    }, 'the second load to be under way');
    await bus.publish(Messages.RunCancelRequested, { runId, reason: 'test says stop' }, { correlationId: runId });

    const run = await eventually(async () => {
      const r = await store.runs.get(runId);
      return r?.status === 'cancelled' ? r : undefined;
    }, 'the run to be cancelled');
    expect(run.error).toMatchObject({ code: 'CANCELLED' });
    expect(run.stats!.rowsLoaded).toBe(0);
    expect(run.stats!.rowsRead).toBeLessThan(3_000);
    expect(await tableChecksum(bed.pg, `"${bed.targetSchema}".cancelled`)).toEqual(before);
    const tasks = (await store.taskRuns.listByRun(runId)).items;
    expect(tasks.every((t) => t.status === 'cancelled')).toBe(true);
    const staging = await bed.pg.query(
      `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '_aoe_stage%'`,
      [bed.targetSchema],
    );
    expect(staging.rows[0].n).toBe(0);
  });

  it('cancels a queued run before it starts, and a cancel of a finished run changes nothing', async () => {
    const { store, bus } = bed.dispatcher.platform;
    const csv = await writeEventsCsv(10);
    const { pipelineId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target: bed.target('queued'),
      planFor: (ids) => plan({ ...ids, target: bed.target('queued') }),
    });
    const runId = randomUUID();
    await bus.publish(Messages.RunCancelRequested, { runId, reason: 'changed my mind' }, { correlationId: runId });
    await eventually(
      async () => ((await store.inbox.has('dispatcher.cancel', runId)) ? true : undefined),
      'the cancel to be recorded',
    );
    const run = await runToEnd(pipelineId, runId);
    expect(run.status).toBe('cancelled');
    expect(await tableExists(bed.pg, `"${bed.targetSchema}".queued`)).toBe(false);

    const done = await runToEnd(pipelineId);
    await bus.publish(Messages.RunCancelRequested, { runId: done.id, reason: 'too late' }, { correlationId: done.id });
    await new Promise((r) => setTimeout(r, 300));
    expect((await store.runs.get(done.id))!.status).toBe('succeeded');
  });

  it('fails a run whose task fails, with the classified error on the task and the run, and loads nothing', async () => {
    const { store, bus } = bed.dispatcher.platform;
    const csv = await writeEventsCsv(1_000, { withNulls: true });
    const failedEvents = await record(bus, 'aoe.evt.task.failed', [Messages.TaskFailed]);
    const { pipelineId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target: bed.target('rejected'),
      planFor: (ids) =>
        plan({
          ...ids,
          target: bed.target('rejected'),
          tasks: [
            { id: 'extract', kind: 'extract', dependsOn: [], params: { mode: 'full', partitions: 1 } },
            {
              id: 'check',
              kind: 'validate',
              dependsOn: ['extract'],
              params: { rules: [{ rule: 'not-null', column: 'amount' }], onFailure: 'fail' },
            },
            { id: 'load', kind: 'load', dependsOn: ['check'], params: { mode: 'append', schemaEvolution: 'additive' } },
          ],
        }),
    });
    const run = await runToEnd(pipelineId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ class: 'data-quality', retryable: false });
    expect(run.error!.message).toMatch(/^task "check": /);
    const tasks = Object.fromEntries((await store.taskRuns.listByRun(run.id)).items.map((t) => [t.taskId, t]));
    expect(tasks.check).toMatchObject({ status: 'failed', error: { class: 'data-quality' } });
    expect(tasks.extract.status).toBe('cancelled');
    expect(tasks.load.status).toBe('cancelled');
    expect(await tableExists(bed.pg, `"${bed.targetSchema}".rejected`)).toBe(false);
    const event = await eventually(async () => failedEvents.find((e) => e.payload.runId === run.id), 'task.failed');
    expect(event.payload).toMatchObject({ taskId: 'check', attempt: 1, error: { class: 'data-quality' } });
  });

  it('fails with a network error when the target cannot be reached, and skips the chains after it', async () => {
    const { store, bus } = bed.dispatcher.platform;
    const csv = await writeEventsCsv(10);
    const unreachable = bed.target('nowhere', 'postgres://postgres@127.0.0.1:1/test');
    const { pipelineId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target: unreachable,
      planFor: (ids) =>
        plan({
          ...ids,
          target: unreachable,
          tasks: [
            { id: 'extract', kind: 'extract', dependsOn: [], params: { mode: 'full', partitions: 1 } },
            {
              id: 'load',
              kind: 'load',
              dependsOn: ['extract'],
              params: { mode: 'append', schemaEvolution: 'additive' },
            },
            { id: 'extract-again', kind: 'extract', dependsOn: ['load'], params: { mode: 'full', partitions: 1 } },
            {
              id: 'load-again',
              kind: 'load',
              dependsOn: ['extract-again'],
              params: { mode: 'append', schemaEvolution: 'additive' },
            },
            { id: 'orphan', kind: 'extract', dependsOn: [], params: { mode: 'full', partitions: 1 } },
          ],
        }),
    });
    const run = await runToEnd(pipelineId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ class: 'transient-network', retryable: true });
    const tasks = Object.fromEntries((await store.taskRuns.listByRun(run.id)).items.map((t) => [t.taskId, t.status]));
    expect(tasks).toEqual({
      extract: 'cancelled',
      load: 'failed',
      'extract-again': 'skipped',
      'load-again': 'skipped',
      orphan: 'skipped',
    });
  });
});
