import { randomUUID } from 'node:crypto';
import type { PipelinePlan } from '@aoe/contracts';
import { InProcessBroker, InProcessBus, NonRetryableError } from '@aoe/messaging';
import { openStore, systemClock, type Store } from '@aoe/store';
import { setupTelemetry } from '@aoe/telemetry';
import { DispatcherConfig } from '../dispatcher.config';
import { ActiveRuns, DispatcherStopping } from '../executor/active-runs';
import type { Executor, RunExecution, RunOutcome } from '../executor/executor';
import { RunReporter } from '../executor/run-reporter';
import { CancelRunUseCase } from './cancel-run/cancel-run.usecase';
import { PlanNotReadyError, StartRunUseCase } from './start-run/start-run.usecase';

const outcome = (status: RunOutcome['status']): RunOutcome => ({
  status,
  stats: { rowsRead: 1, rowsLoaded: 1, rowsQuarantined: 0, bytes: 10, durationMs: 5 },
  resources: { cpuSeconds: 0.1, peakMemoryBytes: 1024, bytesMoved: 10 },
});

class FakeExecutor implements Executor {
  readonly name = 'fake';
  calls: RunExecution[] = [];
  behave: (execution: RunExecution) => Promise<RunOutcome> = async () => outcome('succeeded');
  execute(execution: RunExecution): Promise<RunOutcome> {
    this.calls.push(execution);
    return this.behave(execution);
  }
}

describe('the run lifecycle (start, resume, stop, cancel) on an in-memory store', () => {
  let store: Store;
  let bus: InProcessBus;
  let executor: FakeExecutor;
  let active: ActiveRuns;
  let start: StartRunUseCase;
  let cancel: CancelRunUseCase;
  let pipelineId: string;
  const published: string[] = [];
  const sent: Array<{ subject: string; payload: unknown; id?: string }> = [];
  /** The next publish on this subject fails, as it does while the bus is down. */
  let failNextPublishOf: string | undefined;

  beforeAll(async () => {
    store = await openStore({ url: 'pglite://memory' });
    bus = new InProcessBus(new InProcessBroker());
    const telemetry = setupTelemetry('dispatcher-spec', { logger: { level: 'silent' } });
    const config = new DispatcherConfig({ ...DispatcherConfig.fromEnv({}), cancelPollMs: 20 });
    const reporter = new RunReporter(store, bus, systemClock, telemetry);
    const publish = bus.publish.bind(bus);
    bus.publish = async (definition, payload, options) => {
      if (definition.subject === failNextPublishOf) {
        failNextPublishOf = undefined;
        throw new Error('bus unavailable');
      }
      published.push(definition.subject);
      sent.push({ subject: definition.subject, payload, id: options?.id });
      return publish(definition, payload, options);
    };
    executor = new FakeExecutor();
    active = new ActiveRuns();
    start = new StartRunUseCase(store, reporter, active, executor, config, telemetry);
    cancel = new CancelRunUseCase(store, active, reporter);

    const source = await store.sources.create({
      spec: { kind: 'file', path: '/data/x.csv', format: 'auto', compression: 'auto' },
    });
    const target = { kind: 'warehouse' as const, table: { schema: 'public', name: 'x' } };
    const pipeline = await store.pipelines.create({ sourceId: source.id, name: 'x', target });
    pipelineId = pipeline.id;
    const plan: PipelinePlan = {
      pipelineId,
      sourceId: source.id,
      version: 1,
      target,
      policy: { maskPii: false, schemaEvolution: 'additive' },
      tasks: [
        { id: 'extract', kind: 'extract', dependsOn: [], params: { mode: 'full', partitions: 1 } },
        { id: 'load', kind: 'load', dependsOn: ['extract'], params: { mode: 'append', schemaEvolution: 'additive' } },
      ],
      settings: { batchSize: 10, readParallelism: 1, loadConcurrency: 1 },
      createdBy: 'rules',
      createdAt: new Date().toISOString(),
    };
    await store.plans.save(plan);
    await store.pipelines.setCurrentPlanVersion(pipelineId, 1);
  });
  afterAll(async () => {
    await bus.close();
    await store.close();
  });

  const runIdOf = (message: { payload: unknown }) => (message.payload as { runId: string }).runId;

  const request = (runId: string = randomUUID(), extra: object = {}) => ({
    runId,
    pipelineId,
    trigger: 'manual' as const,
    messageId: randomUUID(),
    correlationId: runId,
    ...extra,
  });

  it('starts a run on the current plan and records how it ended', async () => {
    executor.behave = async () => outcome('succeeded');
    const run = await start.execute(request());
    expect(run).toMatchObject({
      status: 'succeeded',
      planVersion: 1,
      cpuSeconds: 0.1,
      peakMemoryBytes: 1024,
      bytesMoved: 10,
    });
    expect(executor.calls.at(-1)!.attempt).toBe(1);
    expect(published).toEqual(expect.arrayContaining(['aoe.evt.run.started', 'aoe.evt.run.succeeded']));
    // The same request again: already finished, nothing runs.
    const calls = executor.calls.length;
    expect((await start.execute(request(run.id))).status).toBe('succeeded');
    expect(executor.calls.length).toBe(calls);
  });

  it('publishes the end again when the request comes back for a run whose end event may not have gone out', async () => {
    executor.behave = async () => outcome('succeeded');
    const runId = randomUUID();
    failNextPublishOf = 'aoe.evt.run.succeeded';
    // The end is stored, then the publish fails: the request is not acknowledged and comes back.
    await expect(start.execute(request(runId))).rejects.toThrow('bus unavailable');
    const stored = (await store.runs.get(runId))!;
    expect(stored.status).toBe('succeeded');
    expect(sent.filter((m) => m.subject === 'aoe.evt.run.succeeded' && runIdOf(m) === runId)).toEqual([]);

    const calls = executor.calls.length;
    await start.execute(request(runId));
    expect(executor.calls.length).toBe(calls);
    const ends = sent.filter((m) => m.subject === 'aoe.evt.run.succeeded' && runIdOf(m) === runId);
    expect(ends).toHaveLength(1);
    expect(ends[0].payload).toMatchObject({ status: 'succeeded', at: stored.finishedAt, stats: stored.stats });

    // Once more (the event did go out this time): the same message, which the bus's duplicate window drops.
    await start.execute(request(runId));
    const again = sent.filter((m) => m.subject === 'aoe.evt.run.succeeded' && runIdOf(m) === runId);
    expect(again).toHaveLength(2);
    expect(again[1]).toEqual(again[0]);
  });

  it('publishes the cancel again when a repeated cancel request finds the queued run it cancelled', async () => {
    const queued = randomUUID();
    await store.runs.create({ id: queued, pipelineId, planVersion: 1, trigger: 'api' });
    const cancelOf = () => ({ runId: queued, reason: 'not now', messageId: randomUUID(), correlationId: queued });
    failNextPublishOf = 'aoe.evt.run.cancelled';
    await expect(cancel.execute(cancelOf())).rejects.toThrow('bus unavailable');
    expect((await store.runs.get(queued))!.status).toBe('cancelled');

    expect(await cancel.execute(cancelOf())).toBe('finished');
    const ends = sent.filter((m) => m.subject === 'aoe.evt.run.cancelled' && runIdOf(m) === queued);
    expect(ends).toHaveLength(1);
    const stored = (await store.runs.get(queued))!;
    expect(ends[0].payload).toMatchObject({ status: 'cancelled', at: stored.finishedAt, error: stored.error });
  });

  it('refuses what it cannot run: an unknown pipeline, a plan version not stored yet', async () => {
    await expect(start.execute(request(randomUUID(), { pipelineId: 'ghost' }))).rejects.toBeInstanceOf(
      NonRetryableError,
    );
    await expect(start.execute(request(randomUUID(), { planVersion: 9 }))).rejects.toBeInstanceOf(PlanNotReadyError);
  });

  it('resumes a run its dispatcher left running: the next attempt, without the loads already done', async () => {
    const runId = randomUUID();
    await store.runs.create({ id: runId, pipelineId, planVersion: 1, trigger: 'manual' });
    await store.runs.updateStatus(runId, 'running');
    await store.taskRuns.upsert({ runId, taskId: 'extract', status: 'succeeded', attempt: 1 });
    await store.taskRuns.upsert({ runId, taskId: 'load', status: 'succeeded', attempt: 1, rows: 5 });
    const run = await start.execute(request(runId));
    expect(run.status).toBe('succeeded');
    const execution = executor.calls.at(-1)!;
    expect(execution.attempt).toBe(2);
    expect([...execution.finishedLoads]).toEqual(['load']);
  });

  it('fails the run when the executor itself throws, with the error classified', async () => {
    executor.behave = async () => {
      throw new TypeError('a bug in an executor');
    };
    const run = await start.execute(request());
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ class: 'bug', message: 'a bug in an executor' });
  });

  it('hands a run back (not cancelled) when the dispatcher stops, with heartbeats meanwhile', async () => {
    executor.behave = (execution) =>
      new Promise((resolve) => execution.signal.addEventListener('abort', () => resolve(outcome('cancelled'))));
    const runId = randomUUID();
    const beats: number[] = [];
    const running = start.execute(request(runId), { heartbeat: () => beats.push(Date.now()) });
    await new Promise((r) => setTimeout(r, 100));
    expect(active.has(runId)).toBe(true);
    active.beforeApplicationShutdown();
    await expect(running).rejects.toBeInstanceOf(DispatcherStopping);
    expect((await store.runs.get(runId))!.status).toBe('running');
  });

  it('cancels: a run executing here at once, a queued one now, an unknown one when it arrives', async () => {
    executor.behave = (execution) =>
      new Promise((resolve) => execution.signal.addEventListener('abort', () => resolve(outcome('cancelled'))));
    const here = randomUUID();
    const running = start.execute(request(here));
    await new Promise((r) => setTimeout(r, 50));
    expect(await cancel.execute({ runId: here, reason: 'stop', messageId: randomUUID(), correlationId: here })).toBe(
      'aborted',
    );
    expect((await running).status).toBe('cancelled');
    expect(await cancel.execute({ runId: here, reason: 'again', messageId: randomUUID(), correlationId: here })).toBe(
      'finished',
    );

    const queued = randomUUID();
    await store.runs.create({ id: queued, pipelineId, planVersion: 1, trigger: 'api' });
    await store.taskRuns.upsert({ runId: queued, taskId: 'load', status: 'queued', attempt: 1 });
    expect(
      await cancel.execute({ runId: queued, reason: 'not now', messageId: randomUUID(), correlationId: queued }),
    ).toBe('cancelled');
    expect(await store.runs.get(queued)).toMatchObject({
      status: 'cancelled',
      error: { message: 'cancelled: not now' },
    });
    expect((await store.taskRuns.get(queued, 'load'))!.status).toBe('cancelled');

    const later = randomUUID();
    expect(
      await cancel.execute({ runId: later, reason: 'before it exists', messageId: randomUUID(), correlationId: later }),
    ).toBe('requested');
    executor.behave = async () => outcome('succeeded');
    expect((await start.execute(request(later))).status).toBe('cancelled');
  });

  it('picks up a cancel another replica recorded while the run executes here', async () => {
    executor.behave = (execution) =>
      new Promise((resolve) => execution.signal.addEventListener('abort', () => resolve(outcome('cancelled'))));
    const runId = randomUUID();
    const running = start.execute(request(runId));
    await new Promise((r) => setTimeout(r, 50));
    await store.inbox.recordOnce('dispatcher.cancel', runId, 'aoe.cmd.run.cancel');
    expect((await running).status).toBe('cancelled');
    // Elsewhere, a running run is left to its own replica.
    await store.runs.create({ id: 'elsewhere', pipelineId, planVersion: 1, trigger: 'api' });
    await store.runs.updateStatus('elsewhere', 'running');
    expect(
      await cancel.execute({ runId: 'elsewhere', reason: 'x', messageId: randomUUID(), correlationId: 'elsewhere' }),
    ).toBe('requested');
  });
});
