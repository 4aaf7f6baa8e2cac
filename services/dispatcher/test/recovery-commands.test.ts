import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { Messages, type DeadLetter, type RecoveryRetry } from '@aoe/contracts';
import { JetStreamBus, Namespace } from '@aoe/messaging';
import { TcpFaultProxy } from '@aoe/testing';
import { DispatcherModule } from '../src';
import {
  eventually,
  expectedChecksum,
  plan,
  record,
  setUpPipeline,
  tableChecksum,
  writeEventsCsv,
  useDispatcherTestBed,
} from './helpers';

process.env.AOE_PROGRESS_INTERVAL_MS = '50';
process.env.AOE_CANCEL_POLL_MS = '50';
process.env.AOE_SCHEDULER_INTERVAL_MS = '0';

describe('dispatcher: recovery commands over real NATS JetStream and PostgreSQL', () => {
  const bed = useDispatcherTestBed('disprec', () => DispatcherModule);

  async function ended(runId: string, after?: string) {
    const { store } = bed.dispatcher.platform;
    return eventually(async () => {
      const run = await store.runs.get(runId);
      if (!run || !['succeeded', 'failed', 'cancelled'].includes(run.status)) return undefined;
      return after === undefined || run.finishedAt !== after ? run : undefined;
    }, `run ${runId} to end`);
  }

  async function requestRun(pipelineId: string) {
    const runId = randomUUID();
    await bed.dispatcher.platform.bus.publish(
      Messages.RunRequested,
      { runId, pipelineId, trigger: 'manual' },
      { correlationId: runId },
    );
    return ended(runId);
  }

  const retry = (command: Omit<RecoveryRetry, 'reason' | 'decisionId'> & Partial<RecoveryRetry>) =>
    bed.dispatcher.platform.bus.publish(
      Messages.RecoveryRetry,
      { reason: 'test', decisionId: randomUUID(), ...command },
      { correlationId: command.runId },
    );

  it('runs a run whose load lost its connection mid-COPY again: failed -> running -> succeeded, exactly the rows', async () => {
    const { store, bus } = bed.dispatcher.platform;
    const csv = await writeEventsCsv(5_000);
    const events = await record(bus, 'aoe.evt.run.>', [
      Messages.RunStarted,
      Messages.RunSucceeded,
      Messages.RunFailed,
      Messages.RunCancelled,
    ]);
    // The target's connection is reset once it has carried 40 kB: in the middle of the rows.
    const proxy = await TcpFaultProxy.start({
      upstream: { host: '127.0.0.1', port: Number(new URL(bed.mesh.databaseUrl).port || 5432) },
      mode: { kind: 'drop', afterBytes: 40_000 },
    });
    const url = new URL(bed.mesh.databaseUrl);
    url.host = proxy.address;
    const { pipelineId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target: bed.target('flaky', url.toString()),
      planFor: (ids) => plan({ ...ids, target: bed.target('flaky', url.toString()), batchSize: 500 }),
    });

    const failed = await requestRun(pipelineId).finally(() => proxy.setMode({ kind: 'pass' }));
    expect(proxy.stats().faults.reset).toBeGreaterThan(0);
    expect(failed).toMatchObject({ status: 'failed', error: { class: 'transient-network', retryable: true } });
    const before = await bed.pg.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
      `"${bed.targetSchema}".flaky`,
    ]);
    if (before.rows[0].t) expect((await tableChecksum(bed.pg, `"${bed.targetSchema}".flaky`)).count).toBe(0);

    await retry({ runId: failed.id, pipelineId, taskId: 'load', attempt: 1, delayMs: 100, action: 'retry' });
    const run = await ended(failed.id, failed.finishedAt);
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'manual' });
    expect(run.error).toBeUndefined();
    expect(run.stats).toMatchObject({ rowsRead: 5_000, rowsLoaded: 5_000, rowsQuarantined: 0 });
    expect(await tableChecksum(bed.pg, `"${bed.targetSchema}".flaky`)).toEqual({
      count: 5_000,
      md5: expectedChecksum(csv.rows),
    });
    const tasks = (await store.taskRuns.listByRun(run.id)).items;
    expect(tasks.map((t) => [t.taskId, t.status, t.attempt])).toEqual([
      ['check', 'succeeded', 2],
      ['clean', 'succeeded', 2],
      ['extract', 'succeeded', 2],
      ['load', 'succeeded', 2],
    ]);
    const mine = await eventually(async () => {
      const seen = events.filter((e) => e.payload.runId === run.id);
      return seen.length === 4 ? seen : undefined;
    }, 'four run events');
    expect(mine.map((e) => e.type)).toEqual(['run.started', 'run.failed', 'run.started', 'run.succeeded']);

    // A second command about the same failed attempt (another replica's, a replay) is stale: nothing runs again.
    await retry({ runId: run.id, pipelineId, attempt: 1, delayMs: 0, action: 'retry' });
    await new Promise((r) => setTimeout(r, 500));
    expect((await store.runs.get(run.id))?.finishedAt).toBe(run.finishedAt);
    expect((await tableChecksum(bed.pg, `"${bed.targetSchema}".flaky`)).count).toBe(5_000);
    await proxy.stop();
  });

  it('quarantines bad rows and shrinks the batch when the command says so', async () => {
    const { store, bus } = bed.dispatcher.platform;
    const csv = await writeEventsCsv(3_000);
    const { pipelineId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target: bed.target('strict'),
      planFor: (ids) =>
        plan({
          ...ids,
          target: bed.target('strict'),
          tasks: [
            { id: 'extract', kind: 'extract', dependsOn: [], params: { mode: 'full', partitions: 1 } },
            {
              id: 'check',
              kind: 'validate',
              dependsOn: ['extract'],
              params: { rules: [{ rule: 'range', column: 'amount', max: 900 }], onFailure: 'fail' },
            },
            { id: 'load', kind: 'load', dependsOn: ['check'], params: { mode: 'append', schemaEvolution: 'additive' } },
          ],
        }),
    });
    const failed = await requestRun(pipelineId);
    expect(failed).toMatchObject({ status: 'failed', error: { class: 'data-quality' } });

    await retry({
      runId: failed.id,
      pipelineId,
      taskId: 'check',
      attempt: 1,
      delayMs: 0,
      action: 'quarantine',
      onBadRows: 'quarantine',
      batchSize: 250,
    });
    const run = await ended(failed.id, failed.finishedAt);
    const good = csv.rows.filter((r) => r.amount === null || r.amount <= 900);
    const bad = csv.rows.length - good.length;
    expect(bad).toBeGreaterThan(0);
    expect(run).toMatchObject({ status: 'succeeded', settings: { batchSize: 250 } });
    expect(run.stats).toMatchObject({ rowsLoaded: good.length, rowsQuarantined: bad });
    expect(await tableChecksum(bed.pg, `"${bed.targetSchema}".strict`)).toEqual({
      count: good.length,
      md5: expectedChecksum(good),
    });
    const quarantined = await bed.pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${bed.targetSchema}"._aoe_quarantine WHERE run_id = $1`,
      [run.id],
    );
    expect(quarantined.rows[0].n).toBe(bad);
    // The stored plan is unchanged: the override was for this run only.
    const stored = await store.plans.get(pipelineId, 1);
    expect(stored?.plan.tasks.find((t) => t.id === 'check')).toMatchObject({ params: { onFailure: 'fail' } });
  });

  it('pauses a pipeline, and refuses new runs of a source whose circuit is open', async () => {
    const { store, bus } = bed.dispatcher.platform;
    const csv = await writeEventsCsv(100);
    const { pipelineId, sourceId } = await setUpPipeline(store, bus, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target: bed.target('gated'),
      planFor: (ids) => plan({ ...ids, target: bed.target('gated') }),
    });

    await store.circuits.open(sourceId, { retryAt: new Date(Date.now() + 60_000).toISOString(), reason: 'test' });
    const refused = await requestRun(pipelineId);
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'CIRCUIT_OPEN', retryable: true } });
    expect(refused.error?.message).toMatch(/circuit is open until/);
    expect((await store.taskRuns.listByRun(refused.id)).items.every((t) => t.status === 'queued')).toBe(true);

    // The retry recovery sends once the circuit is half-open runs it (retries are not refused).
    await store.circuits.close(sourceId);
    await retry({ runId: refused.id, pipelineId, attempt: 1, delayMs: 0, action: 'retry' });
    expect(await ended(refused.id, refused.finishedAt)).toMatchObject({
      status: 'succeeded',
      stats: { rowsLoaded: 100 },
    });

    await bus.publish(
      Messages.RecoveryPausePipeline,
      { pipelineId, runId: refused.id, reason: 'credentials refused', decisionId: randomUUID() },
      { correlationId: refused.id },
    );
    await eventually(
      async () => ((await store.pipelines.get(pipelineId))?.status === 'paused' ? true : undefined),
      'paused',
    );
  });

  it('dead-letters a recovery command that breaks its contract, or names no run, with the reason', async () => {
    const { bus } = bed.dispatcher.platform;
    const letters = await record(bus, 'aoe.dlq.>', [Messages.DeadLettered]);
    const nats = (bus as JetStreamBus).nats;
    const bad = {
      id: randomUUID(),
      type: 'recovery.retry',
      schemaVersion: 1,
      occurredAt: new Date().toISOString(),
      correlationId: 'bad',
      payload: { runId: 'r', pipelineId: 'p', attempt: 0, delayMs: -5, action: 'reboot', reason: 'x', decisionId: 'd' },
    };
    await jetstream(nats).publish(
      new Namespace(bed.mesh.namespace).subject('aoe.cmd.recovery.retry'),
      new TextEncoder().encode(JSON.stringify(bad)),
    );
    const missing = randomUUID();
    await retry({ runId: missing, pipelineId: 'nowhere', attempt: 1, delayMs: 0, action: 'retry' });

    const both = await eventually(async () => {
      const mine = letters.filter((l) => l.payload.service === 'dispatcher');
      return mine.length >= 2 ? mine : undefined;
    }, 'two dead letters');
    const byKind = Object.fromEntries(both.map((l) => [l.payload.kind, l.payload as DeadLetter]));
    expect(byKind['invalid-message']).toMatchObject({ originalSubject: 'aoe.cmd.recovery.retry' });
    expect(byKind['invalid-message'].reason).toMatch(/recovery\.retry.*(attempt|delayMs|action)/);
    expect(byKind['handler-failed'].reason).toMatch(new RegExp(`run "${missing}" does not exist`));
  });
});
