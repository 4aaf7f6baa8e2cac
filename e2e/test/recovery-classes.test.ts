import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DispatcherModule } from '@aoe/dispatcher';
import { createTestMesh } from '@aoe/service-kit/testing';
import {
  castOperations,
  FaultyHttpApi,
  rewriteDataset,
  ServiceProcess,
  TcpFaultProxy,
  uniqueName,
  writeDataset,
  type DatasetManifest,
} from '@aoe/testing';
import {
  eventually,
  requestRun,
  settled,
  startRecoveryAgents,
  startRecoveryMesh,
  tableChecksum,
  useTestRecoverySettings,
  type RecoveryMesh,
} from './support/recovery-mesh';

useTestRecoverySettings({
  AOE_RECOVERY_RATE_LIMIT_DELAY_MS: '300',
  AOE_RECOVERY_CIRCUIT_COOLDOWN_MS: '500',
  // A stalled PostgreSQL session is asked about after 1 s of silence (30 s in production).
  AOE_PG_STALL_TIMEOUT_MS: '1000',
});

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/**
 * The failure classes recovery.test.ts does not cover, end to end on real NATS
 * and PostgreSQL: a dispatcher, two recovery replicas and the monitor. Each ends
 * with the target holding exactly the right rows, or the right stop and alert.
 */
describe('recovery end to end, per failure class', () => {
  let recovery: RecoveryMesh;
  let dir: string;
  const schema = uniqueName('e2e_recclass');

  beforeAll(async () => {
    recovery = await startRecoveryMesh('e2ereccls');
    dir = await mkdtemp(join(tmpdir(), 'aoe-e2e-recclass-'));
  });
  afterAll(async () => {
    await recovery.pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await recovery.stop();
  });

  const decisionsOf = async (runId: string) =>
    (await recovery.dispatcher.platform.store.decisions.list({ correlationId: runId, agent: 'recovery' })).items;

  it('timeout: a PostgreSQL target that stalls mid-load is cut, retried, and holds exactly the rows', async () => {
    const rows = 100_000;
    const lines = Array.from({ length: rows }, (_, i) => `${i + 1},item ${i + 1}`);
    const path = join(dir, 'stall.csv');
    await writeFile(path, `id,name\n${lines.join('\n')}\n`);
    const upstream = new URL(recovery.mesh.databaseUrl);
    const proxy = await TcpFaultProxy.start({
      upstream: { host: upstream.hostname, port: Number(upstream.port || 5432) },
    });
    try {
      const { store } = recovery.dispatcher.platform;
      const { runId } = await requestRun(recovery.dispatcher, {
        source: { kind: 'file', path, format: 'auto', compression: 'auto' },
        target: {
          kind: 'postgres',
          connection: { url: proxy.proxiedUrl(recovery.mesh.databaseUrl) },
          table: { schema, name: 'stalled' },
        },
      });
      // Stall once the load is well under way: the session's watch must notice, nothing else will.
      await eventually(async () => (proxy.stats().bytesToUpstream > 300_000 ? true : undefined), 'the load under way');
      await proxy.setMode({ kind: 'stall' });
      const failed = await eventually(async () => {
        const run = await store.runs.get(runId);
        return run?.status === 'failed' || run?.status === 'succeeded' ? run : undefined;
      }, 'the stalled attempt');
      await proxy.setMode({ kind: 'pass' });
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatchObject({ class: 'timeout' });

      const run = await settled(recovery.dispatcher, runId, 'succeeded', 60_000);
      expect(run.stats).toMatchObject({ rowsLoaded: rows });
      expect(await tableChecksum(recovery.pg, schema, 'stalled')).toEqual({ count: rows, md5: md5(lines.join('\n')) });
      const decisions = await decisionsOf(runId);
      expect(decisions[0]).toMatchObject({ choice: { failureClass: 'timeout' } });
      expect(['retry', 'resume', 'shrink-batch']).toContain((decisions[0].choice as { action: string }).action);
      expect(proxy.stats().faults.stalled).toBeGreaterThanOrEqual(1);
    } finally {
      await proxy.stop();
    }
  }, 120_000);

  it("rate limit: a 429 storm longer than the connector's own retries fails the run; recovery retries it after backoff", async () => {
    const api = await FaultyHttpApi.start({
      rows: 250,
      pageSize: 50,
      pagination: 'page',
      // The connector tries page 2 twice per attempt (maxRetries 1): the storm outlasts the first attempt.
      faults: [{ page: 2, times: 3, fault: { kind: 'status', status: 429, retryAfter: 0 } }],
    });
    try {
      const { runId } = await requestRun(recovery.dispatcher, {
        source: api.sourceSpec({ maxRetries: 1 }) as never,
        target: {
          kind: 'postgres',
          connection: { url: recovery.mesh.databaseUrl },
          table: { schema, name: 'limited' },
        },
      });
      const run = await settled(recovery.dispatcher, runId, 'succeeded', 60_000);
      expect(run.stats).toMatchObject({ rowsLoaded: 250 });
      expect(api.faultCounts()).toEqual({ 'status 429': 3 });
      const expected = [...api.records]
        .sort((a, b) => Number(a.id) - Number(b.id))
        .map((r) => `${String(r.id)},${String(r.name)}`)
        .join('\n');
      expect(await tableChecksum(recovery.pg, schema, 'limited')).toEqual({ count: 250, md5: md5(expected) });
      const decisions = await decisionsOf(runId);
      expect(decisions[0]).toMatchObject({ choice: { failureClass: 'rate-limit' } });
      expect(['retry', 'resume', 'open-circuit']).toContain((decisions[0].choice as { action: string }).action);
    } finally {
      await api.close();
    }
  }, 120_000);

  it('schema drift: added and removed columns load additively; a retyped key stops with a re-plan and a schema-drift alert', async () => {
    const { store } = recovery.dispatcher.platform;
    const path = join(dir, 'drift.csv');
    const target = {
      kind: 'postgres' as const,
      connection: { url: recovery.mesh.databaseUrl },
      table: { schema, name: 'drift' },
    };
    let pipeline: { pipelineId?: string; sourceId?: string } = {};
    const runOf = async (manifest: DatasetManifest) => {
      const started = await requestRun(recovery.dispatcher, {
        ...pipeline,
        source: { kind: 'file', path, format: 'auto', compression: 'auto' },
        target,
        between: [
          {
            id: 'cast',
            kind: 'transform',
            dependsOn: ['extract'],
            params: { operations: castOperations(manifest.columns) },
          },
        ],
      });
      pipeline = { pipelineId: started.pipelineId, sourceId: started.sourceId };
      return started.runId;
    };
    const ids = (manifests: DatasetManifest[]) =>
      manifests.flatMap((m) => m.loaded.map((l) => `${String(l.row.id)},${String(l.row.name)}`)).join('\n');

    const first = await writeDataset(path, { rows: 20, seed: 'e2e-drift' });
    expect((await settled(recovery.dispatcher, await runOf(first), 'succeeded')).stats).toMatchObject({
      rowsLoaded: 20,
    });
    const added = await rewriteDataset(first, {
      rows: 20,
      change: { kind: 'add', column: { name: 'country', type: 'string' } },
    });
    expect((await settled(recovery.dispatcher, await runOf(added), 'succeeded')).stats).toMatchObject({
      rowsLoaded: 20,
    });
    const removed = await rewriteDataset(added, { rows: 20, change: { kind: 'remove', column: 'amount' } });
    expect((await settled(recovery.dispatcher, await runOf(removed), 'succeeded')).stats).toMatchObject({
      rowsLoaded: 20,
    });
    const shape = await recovery.pg.query<{ with_country: number; with_amount: number }>(
      `SELECT count(country)::int AS with_country, count(amount)::int AS with_amount FROM "${schema}".drift`,
    );
    expect(shape.rows[0]).toEqual({ with_country: 40, with_amount: 40 });

    const retyped = await rewriteDataset(removed, { rows: 20, change: { kind: 'retype', column: 'id', to: 'string' } });
    const runId = await runOf(retyped);
    const failed = await settled(recovery.dispatcher, runId, 'failed');
    expect(failed.error).toMatchObject({ class: 'schema-drift' });
    const decision = await eventually(async () => (await decisionsOf(runId))[0], 'the decision');
    expect(decision.choice).toMatchObject({ action: 'replan', failureClass: 'schema-drift' });
    const alert = await eventually(async () => (await store.alerts.list({ runId })).items[0], 'the alert');
    expect(alert).toMatchObject({ kind: 'schema-drift', severity: 'warning' });
    // The failed run is not retried (the next run uses the new plan); the pipeline stays active.
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await store.runs.get(runId))?.status).toBe('failed');
    expect((await store.pipelines.get(pipeline.pipelineId!))?.status).toBe('active');
    // Nothing of the refused file was loaded; the earlier rows are exact.
    expect(await tableChecksum(recovery.pg, schema, 'drift')).toEqual({
      count: 60,
      md5: md5(ids([first, added, removed])),
    });
  }, 120_000);

  it('resource exhaustion: the target runs out of memory once; recovery halves the batch and the run completes exactly', async () => {
    const rows = 2_000;
    const lines = Array.from({ length: rows }, (_, i) => `${i + 1},item ${i + 1}`);
    const path = join(dir, 'exhausted.csv');
    await writeFile(path, `id,name\n${lines.join('\n')}\n`);
    // The first statement that writes into the table fails with SQLSTATE 53200 (out_of_memory); a
    // sequence is not rolled back with it, so the fault fires exactly once.
    await recovery.pg.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await recovery.pg.query(`CREATE TABLE "${schema}".exhausted (id integer, name text)`);
    await recovery.pg.query(`CREATE SEQUENCE "${schema}".exhausted_fault`);
    await recovery.pg.query(`
      CREATE FUNCTION "${schema}".exhaust_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('"${schema}".exhausted_fault') = 1 THEN
          RAISE EXCEPTION 'out of memory' USING ERRCODE = '53200', DETAIL = 'Failed on request of size 1048576.';
        END IF;
        RETURN NULL;
      END $$`);
    await recovery.pg.query(
      `CREATE TRIGGER exhaust_once BEFORE INSERT ON "${schema}".exhausted FOR EACH STATEMENT EXECUTE FUNCTION "${schema}".exhaust_once()`,
    );
    const { store } = recovery.dispatcher.platform;
    const { runId } = await requestRun(recovery.dispatcher, {
      source: { kind: 'file', path, format: 'auto', compression: 'auto' },
      target: {
        kind: 'postgres',
        connection: { url: recovery.mesh.databaseUrl },
        table: { schema, name: 'exhausted' },
      },
      between: [
        {
          id: 'cast',
          kind: 'transform',
          dependsOn: ['extract'],
          params: { operations: [{ op: 'cast', column: 'id', to: 'integer' }] },
        },
      ],
      batchSize: 500,
    });
    const run = await settled(recovery.dispatcher, runId, 'succeeded', 60_000);
    expect(run.stats).toMatchObject({ rowsLoaded: rows });
    expect(await tableChecksum(recovery.pg, schema, 'exhausted')).toEqual({ count: rows, md5: md5(lines.join('\n')) });
    const decisions = await decisionsOf(runId);
    expect(decisions[0].choice).toMatchObject({
      action: 'shrink-batch',
      failureClass: 'resource-exhaustion',
      batchSize: 250,
    });
    // The retry ran with the halved batch.
    expect((await store.runs.get(runId))?.settings).toMatchObject({ batchSize: 250 });
  }, 120_000);

  it('a dispatcher replica killed (SIGKILL) mid-run: another replica resumes the run, no row lost or doubled', async () => {
    const mesh = await createTestMesh('e2ereckill');
    const agents = await startRecoveryAgents(mesh);
    const env = {
      NATS_URL: mesh.natsUrl,
      DATABASE_URL: mesh.databaseUrl,
      AOE_BUS_NAMESPACE: mesh.namespace,
      AOE_STORE_SCHEMA: mesh.schema,
      AOE_SCHEDULER_INTERVAL_MS: '0',
    };
    const doomed = await ServiceProcess.start({
      service: 'dispatcher',
      env,
      logFile: join(dir, 'dispatcher-doomed.log'),
    });
    try {
      const rows = 300_000;
      const lines = Array.from({ length: rows }, (_, i) => `${i + 1},item ${i + 1}`);
      const path = join(dir, 'killed.csv');
      await writeFile(path, `id,name\n${lines.join('\n')}\n`);
      const { runId } = await requestRun(agents, {
        source: { kind: 'file', path, format: 'auto', compression: 'auto' },
        target: { kind: 'postgres', connection: { url: mesh.databaseUrl }, table: { schema, name: 'killed' } },
      });
      await eventually(
        async () => ((await agents.platform.store.runs.get(runId))?.status === 'running' ? true : undefined),
        'the run under way in the doomed replica',
      );
      expect(await doomed.kill()).toMatchObject({ signal: 'SIGKILL' });
      expect((await agents.platform.store.runs.get(runId))?.status).toBe('running');

      // The survivor starts after the kill, so only it can pick the run up (after the bus's ack wait).
      const survivor = await mesh.start('dispatcher', [DispatcherModule]);
      const run = await settled(survivor, runId, 'succeeded', 120_000);
      expect(run.stats).toMatchObject({ rowsLoaded: rows });
      expect(await tableChecksum(recovery.pg, schema, 'killed')).toEqual({ count: rows, md5: md5(lines.join('\n')) });
      const attempts = (await agents.platform.store.taskRuns.listByRun(runId)).items.map((t) => t.attempt);
      expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
    } finally {
      await doomed.stop().catch(() => undefined);
      await mesh.stop();
    }
  }, 180_000);
});
