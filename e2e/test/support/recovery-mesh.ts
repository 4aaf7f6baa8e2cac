import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Messages, type PipelinePlan, type SourceSpec, type TargetSpec } from '@aoe/contracts';
import { DispatcherModule } from '@aoe/dispatcher';
import { MonitorModule } from '@aoe/monitor';
import { RecoveryModule } from '@aoe/recovery';
import { createTestMesh, type TestMesh } from '@aoe/service-kit/testing';
import type { RunRecord } from '@aoe/store';
import { waitUntil } from '@aoe/testing';

/**
 * The recovery end-to-end setting: a dispatcher, two recovery replicas and the
 * monitor in one test mesh on real NATS and PostgreSQL, and helpers to start a
 * run of a one-off pipeline and to check what its target holds.
 */
/** A service replica started in the test mesh, with its store and bus. */
export type MeshApp = Awaited<ReturnType<TestMesh['start']>>;

export interface RecoveryMesh {
  mesh: TestMesh;
  dispatcher: MeshApp;
  /** A client on the mesh's database, for checking targets. */
  pg: Client;
  stop(): Promise<void>;
}

/**
 * Fast recovery for tests: no scheduler, a 200 ms backoff base (1 s cap), 4
 * attempts; `extra` on top. Call before the mesh starts (services read them then).
 */
export function useTestRecoverySettings(extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    AOE_SCHEDULER_INTERVAL_MS: '0',
    AOE_RECOVERY_BASE_DELAY_MS: '200',
    AOE_RECOVERY_MAX_DELAY_MS: '1000',
    AOE_RECOVERY_MAX_ATTEMPTS: '4',
    ...extra,
  });
}

/** Polls every 5 ms for up to `timeoutMs` (30 s). */
export const eventually = <T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> =>
  waitUntil(probe, what, { timeoutMs, intervalMs: 5 });

/** Two recovery replicas and the monitor on `mesh`; returns the monitor (any replica's platform serves requestRun). */
export async function startRecoveryAgents(mesh: TestMesh): Promise<MeshApp> {
  await mesh.start('recovery', [RecoveryModule]);
  await mesh.start('recovery', [RecoveryModule]);
  return mesh.start('monitor', [MonitorModule]);
}

export async function startRecoveryMesh(name: string): Promise<RecoveryMesh> {
  const mesh = await createTestMesh(name);
  const dispatcher = await mesh.start('dispatcher', [DispatcherModule]);
  await startRecoveryAgents(mesh);
  const pg = new Client({ connectionString: mesh.databaseUrl });
  await pg.connect();
  return {
    mesh,
    dispatcher,
    pg,
    async stop() {
      await pg.end();
      await mesh.stop();
    },
  };
}

export interface RunSetup {
  source: SourceSpec;
  target: TargetSpec;
  /** Tasks between extract and load. */
  between?: PipelinePlan['tasks'];
  batchSize?: number;
  /** The load's mode (default append). */
  mode?: 'append' | 'merge' | 'replace';
  /** An existing pipeline to run again (its plan is replaced by this one). */
  pipelineId?: string;
  sourceId?: string;
}

/** A pipeline from `setup.source` to `setup.target` with its plan active, and a run of it requested. */
export async function requestRun(
  app: Pick<MeshApp, 'platform'>,
  setup: RunSetup,
): Promise<{ runId: string; pipelineId: string; sourceId: string }> {
  const { store, bus } = app.platform;
  const between = setup.between ?? [];
  let pipelineId = setup.pipelineId;
  let sourceId = setup.sourceId;
  let version = 1;
  if (!pipelineId || !sourceId) {
    const source = await store.sources.create({ spec: setup.source });
    const pipeline = await store.pipelines.create({
      sourceId: source.id,
      name: `p-${randomUUID()}`,
      target: setup.target,
    });
    pipelineId = pipeline.id;
    sourceId = source.id;
  } else {
    version = ((await store.pipelines.get(pipelineId))?.currentPlanVersion ?? 0) + 1;
  }
  const plan: PipelinePlan = {
    pipelineId,
    sourceId,
    version,
    target: setup.target,
    policy: { maskPii: false, schemaEvolution: 'additive' },
    tasks: [
      { id: 'extract', kind: 'extract', dependsOn: [], params: { mode: 'full', partitions: 1 } },
      ...between,
      {
        id: 'load',
        kind: 'load',
        dependsOn: [between.at(-1)?.id ?? 'extract'],
        params: { mode: setup.mode ?? 'append', schemaEvolution: 'additive' },
      },
    ],
    settings: { batchSize: setup.batchSize ?? 500, readParallelism: 1, loadConcurrency: 1 },
    createdBy: 'rules',
    createdAt: new Date().toISOString(),
  };
  await bus.publish(Messages.PlanOptimized, { plan }, { correlationId: pipelineId });
  const id = pipelineId;
  await eventually(
    async () => ((await store.pipelines.get(id))?.currentPlanVersion === version ? true : undefined),
    'plan',
  );
  const runId = randomUUID();
  await bus.publish(Messages.RunRequested, { runId, pipelineId, trigger: 'manual' }, { correlationId: runId });
  return { runId, pipelineId, sourceId };
}

/** Waits until the run has `status`. */
export const settled = (
  app: Pick<MeshApp, 'platform'>,
  runId: string,
  status: RunRecord['status'],
  timeoutMs?: number,
): Promise<RunRecord> =>
  eventually(
    async () => {
      const run = await app.platform.store.runs.get(runId);
      return run?.status === status ? run : undefined;
    },
    `run ${runId} ${status}`,
    timeoutMs,
  );

/** Row count and md5 of `expression` over the table's rows in id order, joined by newlines. */
export async function tableChecksum(
  pg: Client,
  schema: string,
  table: string,
  expression = `id::text || ',' || name`,
): Promise<{ count: number; md5: string | null }> {
  const result = await pg.query<{ count: number; md5: string | null }>(
    `SELECT count(*)::int AS count, md5(string_agg(${expression}, E'\\n' ORDER BY id)) AS md5 FROM "${schema}"."${table}"`,
  );
  return result.rows[0];
}
