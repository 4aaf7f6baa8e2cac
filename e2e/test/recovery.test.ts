import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelinePlan } from '@aoe/contracts';
import type { RunRecord } from '@aoe/store';
import { TcpFaultProxy, uniqueName } from '@aoe/testing';
import {
  eventually,
  requestRun,
  settled as settledIn,
  startRecoveryMesh,
  tableChecksum,
  useTestRecoverySettings,
  type RecoveryMesh,
} from './support/recovery-mesh';

useTestRecoverySettings();

/** The end-to-end recovery scenarios: dispatcher, two recovery replicas and the monitor on real NATS and PostgreSQL. */
describe('recovery end to end: a failed run heals, or stops with the right reason and alert', () => {
  let recovery: RecoveryMesh;
  let mesh: RecoveryMesh['mesh'];
  let dispatcher: RecoveryMesh['dispatcher'];
  let pg: RecoveryMesh['pg'];
  let csv: { path: string; md5: string };
  const schema = uniqueName('e2e_recovery');
  const ROWS = 3_000;

  beforeAll(async () => {
    recovery = await startRecoveryMesh('e2erec');
    ({ mesh, dispatcher, pg } = recovery);
    const dir = await mkdtemp(join(tmpdir(), 'aoe-e2e-recovery-'));
    const lines = Array.from({ length: ROWS }, (_, i) => `${i + 1},item ${i + 1}`);
    csv = { path: join(dir, 'items.csv'), md5: createHash('md5').update(lines.join('\n')).digest('hex') };
    await writeFile(csv.path, `id,name\n${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await recovery.stop();
  });

  /** A pipeline from the CSV to `table` through `url`, with its plan active, and a run of it requested. */
  const runInto = (table: string, url: string, between: PipelinePlan['tasks'] = []) =>
    requestRun(dispatcher, {
      source: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
      target: { kind: 'postgres', connection: { url }, table: { schema, name: table } },
      between,
    });

  const settled = (runId: string, status: RunRecord['status']) => settledIn(dispatcher, runId, status);

  const table = (name: string) => tableChecksum(pg, schema, name);

  it('transient network failure: retried by recovery until the target holds exactly the rows', async () => {
    const { store } = dispatcher.platform;
    const proxy = await TcpFaultProxy.start({ upstream: { host: '127.0.0.1', port: 5432 }, mode: { kind: 'refuse' } });
    try {
      const url = new URL(mesh.databaseUrl);
      url.host = proxy.address;
      const { runId, pipelineId } = await runInto('healed', url.toString());
      // The first attempt meets a closed port; the network comes back as soon as it has.
      await eventually(
        async () => ((await store.runs.get(runId))?.status === 'failed' ? true : undefined),
        'the failure',
      );
      await proxy.setMode({ kind: 'pass' });

      const run = await settled(runId, 'succeeded');
      expect(run.stats).toMatchObject({ rowsLoaded: ROWS });
      expect(run.error).toBeUndefined();
      expect(await table('healed')).toEqual({ count: ROWS, md5: csv.md5 });
      const decisions = (await store.decisions.list({ correlationId: runId, agent: 'recovery' })).items;
      expect(decisions.length).toBeGreaterThanOrEqual(1);
      expect(decisions.at(-1)).toMatchObject({
        subjectId: pipelineId,
        choice: { action: 'retry', failureClass: 'transient-network' },
      });
      expect((await store.pipelines.get(pipelineId))?.status).toBe('active');
      // The monitor's statistics are those of the final attempt, not of the failure.
      const stats = await eventually(async () => {
        const s = await store.runStats.get(runId);
        return s?.status === 'succeeded' ? s : undefined;
      }, 'the final statistics');
      expect(stats).toMatchObject({ rowsLoaded: ROWS, failedTasks: 0 });
      expect(stats.attempts).toBeGreaterThanOrEqual(2);
    } finally {
      await proxy.stop();
    }
  });

  it('bad rows failing a validation: run again with them quarantined, the good rows loaded exactly', async () => {
    const { store } = dispatcher.platform;
    const { runId } = await runInto('checked', mesh.databaseUrl, [
      {
        id: 'check',
        kind: 'validate',
        dependsOn: ['extract'],
        params: { rules: [{ rule: 'range', column: 'id', max: 2_700 }], onFailure: 'fail' },
      },
    ]);
    const run = await settled(runId, 'succeeded');
    expect(run.stats).toMatchObject({ rowsLoaded: 2_700, rowsQuarantined: 300 });
    const lines = Array.from({ length: 2_700 }, (_, i) => `${i + 1},item ${i + 1}`);
    expect(await table('checked')).toEqual({
      count: 2_700,
      md5: createHash('md5').update(lines.join('\n')).digest('hex'),
    });
    const quarantined = await pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}"._aoe_quarantine WHERE run_id = $1`,
      [runId],
    );
    expect(quarantined.rows[0].n).toBe(300);
    const decision = (await store.decisions.list({ correlationId: runId, agent: 'recovery' })).items[0];
    expect(decision.choice).toMatchObject({
      action: 'quarantine',
      failureClass: 'data-quality',
      onBadRows: 'quarantine',
    });
    const alert = await eventually(async () => (await store.alerts.list({ runId })).items[0], 'the alert');
    expect(alert).toMatchObject({ kind: 'needs-attention', severity: 'warning', evidence: { action: 'quarantine' } });
  });

  it('auth failure: the pipeline is paused with a critical alert, the run is not retried', async () => {
    const { store } = dispatcher.platform;
    const url = new URL(mesh.databaseUrl);
    url.username = 'no_such_role_for_recovery';
    const { runId, pipelineId } = await runInto('refused', url.toString());

    const failed = await settled(runId, 'failed');
    expect(failed.error).toMatchObject({ class: 'auth' });
    await eventually(
      async () => ((await store.pipelines.get(pipelineId))?.status === 'paused' ? true : undefined),
      'paused',
    );
    const alert = await eventually(async () => (await store.alerts.list({ runId })).items[0], 'the alert');
    expect(alert).toMatchObject({
      kind: 'needs-attention',
      severity: 'critical',
      evidence: { failureClass: 'auth', action: 'pause' },
    });
    await new Promise((r) => setTimeout(r, 1_000));
    const tasks = (await store.taskRuns.listByRun(runId)).items;
    expect(Math.max(...tasks.map((t) => t.attempt))).toBe(1);
    expect((await store.runs.get(runId))?.status).toBe('failed');
  });

  it('a fault that never heals: retried up to the limit, then failed with a run-failed alert, nothing loaded', async () => {
    const { store } = dispatcher.platform;
    const proxy = await TcpFaultProxy.start({ upstream: { host: '127.0.0.1', port: 5432 }, mode: { kind: 'refuse' } });
    try {
      const url = new URL(mesh.databaseUrl);
      url.host = proxy.address;
      const { runId, pipelineId } = await runInto('never', url.toString());
      await eventually(
        async () => ((await store.pipelines.get(pipelineId))?.status === 'paused' ? true : undefined),
        'paused',
      );
      const run = await settled(runId, 'failed');
      expect(run.error).toMatchObject({ class: 'transient-network' });
      const tasks = (await store.taskRuns.listByRun(runId)).items;
      expect(Math.max(...tasks.map((t) => t.attempt))).toBe(4);
      const alert = await eventually(async () => (await store.alerts.list({ runId })).items[0], 'the alert');
      expect(alert).toMatchObject({
        kind: 'run-failed',
        severity: 'critical',
        evidence: { attempt: 4, maxAttempts: 4 },
      });
      expect(alert.message).toMatch(/gave up/);
      const exists = await pg.query('SELECT to_regclass($1) AS t', [`"${schema}".never`]);
      expect(exists.rows[0].t).toBeNull();
    } finally {
      await proxy.stop();
    }
  });
});
