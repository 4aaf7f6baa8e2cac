import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Messages, type PipelinePlan, type TargetSpec } from '@aoe/contracts';
import { DispatcherModule } from '@aoe/dispatcher';
import { MonitorModule } from '@aoe/monitor';
import { RecoveryModule } from '@aoe/recovery';
import { createTestMesh, type TestMesh } from '@aoe/service-kit';
import type { RunRecord } from '@aoe/store';
import { TcpFaultProxy, uniqueName, waitUntil } from '@aoe/testing';

process.env.AOE_SCHEDULER_INTERVAL_MS = '0';
process.env.AOE_RECOVERY_BASE_DELAY_MS = '200';
process.env.AOE_RECOVERY_MAX_DELAY_MS = '1000';
process.env.AOE_RECOVERY_MAX_ATTEMPTS = '4';

const eventually = <T>(probe: () => Promise<T | undefined>, what: string): Promise<T> =>
  waitUntil(probe, what, { timeoutMs: 30_000, intervalMs: 5 });

/** The end-to-end recovery scenarios: dispatcher, two recovery replicas and the monitor on real NATS and PostgreSQL. */
describe('recovery end to end: a failed run heals, or stops with the right reason and alert', () => {
  let mesh: TestMesh;
  let dispatcher: Awaited<ReturnType<TestMesh['start']>>;
  let pg: Client;
  let csv: { path: string; md5: string };
  const schema = uniqueName('e2e_recovery');
  const ROWS = 3_000;

  beforeAll(async () => {
    mesh = await createTestMesh('e2erec');
    dispatcher = await mesh.start('dispatcher', [DispatcherModule]);
    await mesh.start('recovery', [RecoveryModule]);
    await mesh.start('recovery', [RecoveryModule]);
    await mesh.start('monitor', [MonitorModule]);
    pg = new Client({ connectionString: mesh.databaseUrl });
    await pg.connect();
    const dir = await mkdtemp(join(tmpdir(), 'aoe-e2e-recovery-'));
    const lines = Array.from({ length: ROWS }, (_, i) => `${i + 1},item ${i + 1}`);
    csv = { path: join(dir, 'items.csv'), md5: createHash('md5').update(lines.join('\n')).digest('hex') };
    await writeFile(csv.path, `id,name\n${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pg.end();
    await mesh.stop();
  });

  /** A pipeline from the CSV to `table` through `url`, with its plan active, and a run of it requested. */
  async function runInto(
    table: string,
    url: string,
    between: PipelinePlan['tasks'] = [],
  ): Promise<{ runId: string; pipelineId: string }> {
    const { store, bus } = dispatcher.platform;
    const target: TargetSpec = { kind: 'postgres', connection: { url }, table: { schema, name: table } };
    const source = await store.sources.create({
      spec: { kind: 'file', path: csv.path, format: 'auto', compression: 'auto' },
    });
    const pipeline = await store.pipelines.create({ sourceId: source.id, name: `p-${randomUUID()}`, target });
    const plan: PipelinePlan = {
      pipelineId: pipeline.id,
      sourceId: source.id,
      version: 1,
      target,
      policy: { maskPii: false, schemaEvolution: 'additive' },
      tasks: [
        { id: 'extract', kind: 'extract', dependsOn: [], params: { mode: 'full', partitions: 1 } },
        ...between,
        {
          id: 'load',
          kind: 'load',
          dependsOn: [between.at(-1)?.id ?? 'extract'],
          params: { mode: 'append', schemaEvolution: 'additive' },
        },
      ],
      settings: { batchSize: 500, readParallelism: 1, loadConcurrency: 1 },
      createdBy: 'rules',
      createdAt: new Date().toISOString(),
    };
    await bus.publish(Messages.PlanOptimized, { plan }, { correlationId: pipeline.id });
    await eventually(
      async () => ((await store.pipelines.get(pipeline.id))?.currentPlanVersion ? true : undefined),
      'plan',
    );
    const runId = randomUUID();
    await bus.publish(
      Messages.RunRequested,
      { runId, pipelineId: pipeline.id, trigger: 'manual' },
      { correlationId: runId },
    );
    return { runId, pipelineId: pipeline.id };
  }

  const settled = (runId: string, status: RunRecord['status']) =>
    eventually(async () => {
      const run = await dispatcher.platform.store.runs.get(runId);
      return run?.status === status ? run : undefined;
    }, `run ${runId} ${status}`);

  async function table(name: string): Promise<{ count: number; md5: string | null }> {
    const result = await pg.query<{ count: number; md5: string | null }>(
      `SELECT count(*)::int AS count, md5(string_agg(id::text || ',' || name, E'\\n' ORDER BY id)) AS md5 FROM "${schema}"."${name}"`,
    );
    return result.rows[0];
  }

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
