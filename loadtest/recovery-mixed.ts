/**
 * Recovery under a mixed fault schedule: `runs` runs (default 200), one seeded
 * fault each (FaultSchedule 'recovery-mixed', half clean, the rest spread over
 * every kind: API 429/5xx storms, slow pages and resets; TCP drops, stalls and
 * latency on the target's connection; malformed rows; an added column; a killed
 * recovery replica). Prints the success rate (target ≥ 99.5 %), rows lost and
 * rows duplicated (per-target counts and md5 checksums against what the run had
 * to load: must be zero), the time, and the outcome per fault kind.
 *
 * The mesh: a dispatcher and the monitor in this process, two recovery replicas
 * as child processes (`ServiceProcess`, their dist; build first:
 * `npx tsc -b services/recovery`), real NATS and PostgreSQL, recovery with its
 * production settings. Each run has its own source and target table:
 * - API faults: a FaultyHttpApi of 120 records in pages of 40 (connector: 2 retries, 1 s timeout);
 * - every other kind: a 100-row CSV of its own, cast and validated with
 *   quarantine, whose manifest says which rows must load.
 * Every target is reached through one TcpFaultProxy. A fault is lifted
 * (`undo`) once the run's first attempt has ended: the faults are transient,
 * recovery must do the rest.
 *
 *   NATS_URL=nats://127.0.0.1:4222 DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
 *     npx ts-node --transpile-only loadtest/recovery-mixed.ts [runs=200] [seed=recovery-mixed]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceSpec } from '@aoe/contracts';
import { DispatcherModule } from '@aoe/dispatcher';
import { MonitorModule } from '@aoe/monitor';
import { createTestMesh } from '@aoe/service-kit/testing';
import {
  applyFault,
  castOperations,
  FaultSchedule,
  FaultyHttpApi,
  ReplicaKiller,
  seededRandom,
  ServiceProcess,
  TcpFaultProxy,
  uniqueName,
  waitUntil,
  writeDataset,
  type FaultKind,
} from '@aoe/testing';
import { Client } from 'pg';
import { requestRun } from '../e2e/test/support/recovery-mesh';
import { benchmarkEnvironment, loadAverage, runBenchmark, md5, seconds } from './recovery-support';

const RUNS = Number(process.argv[2] ?? 200);
const SEED = process.argv[3] ?? 'recovery-mixed';
const FILE_ROWS = 100;
const API_ROWS = 120;
const PAGE_SIZE = 40;

benchmarkEnvironment({});

interface Outcome {
  runs: number;
  succeeded: number;
  lost: number;
  duplicated: number;
  attempts: number;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'aoe-bench-recmix-'));
  const mesh = await createTestMesh('benchrecmix');
  const dispatcher = await mesh.start('dispatcher', [DispatcherModule]);
  await mesh.start('monitor', [MonitorModule]);
  const replicaEnv = {
    NATS_URL: mesh.natsUrl,
    DATABASE_URL: mesh.databaseUrl,
    AOE_BUS_NAMESPACE: mesh.namespace,
    AOE_STORE_SCHEMA: mesh.schema,
    LOG_LEVEL: 'warn',
  };
  const replicas = await Promise.all(
    [0, 1].map((i) =>
      ServiceProcess.start({ service: 'recovery', env: replicaEnv, logFile: join(dir, `recovery-${i}.log`) }),
    ),
  );
  const killer = new ReplicaKiller(replicas, seededRandom(`${SEED}:replicas`));
  const upstream = new URL(mesh.databaseUrl);
  const proxy = await TcpFaultProxy.start({
    upstream: { host: upstream.hostname, port: Number(upstream.port || 5432) },
  });
  const api = await FaultyHttpApi.start({ rows: API_ROWS, pageSize: PAGE_SIZE, pagination: 'page', seed: SEED });
  const pg = new Client({ connectionString: mesh.databaseUrl });
  await pg.connect();
  const schema = uniqueName('bench_recmix');
  const { store } = dispatcher.platform;
  const schedule = FaultSchedule.generate({
    seed: SEED,
    runs: RUNS,
    limits: { pages: API_ROWS / PAGE_SIZE, maxBurst: 3, timeoutMs: 1000, rows: FILE_ROWS, replicas: 2 },
  });
  const apiIds = api.records.map((r) => Number(r.id));
  const byKind = new Map<FaultKind, Outcome>();
  const failures: string[] = [];

  try {
    for (let i = 0; i < RUNS; i++) {
      const fault = schedule.at(i);
      const base = await writeDataset(join(dir, `run-${i}.csv`), { rows: FILE_ROWS, seed: `${SEED}-${i}` });
      const applied = await applyFault(fault, {
        api,
        proxy,
        replicas: killer,
        dataset: { manifest: base, rows: FILE_ROWS },
      });
      const manifest = applied.manifest ?? base;
      const fromApi = fault.kind.startsWith('http-');
      const table = `run_${i}`;
      const source: SourceSpec = fromApi
        ? (api.sourceSpec({ maxRetries: 2, timeoutMs: 1000 }) as SourceSpec)
        : { kind: 'file', path: manifest.path, format: 'auto', compression: 'auto' };
      const { runId, pipelineId } = await requestRun(dispatcher, {
        source,
        target: {
          kind: 'postgres',
          connection: { url: proxy.proxiedUrl(mesh.databaseUrl) },
          table: { schema, name: table },
        },
        between: fromApi
          ? []
          : [
              {
                id: 'cast',
                kind: 'transform',
                dependsOn: ['extract'],
                params: { operations: castOperations(manifest.columns) },
              },
              { id: 'check', kind: 'validate', dependsOn: ['cast'], params: { rules: [], onFailure: 'quarantine' } },
            ],
      });
      const statusOf = async () => (await store.runs.get(runId))?.status;
      // The fault is transient: lifted once the first attempt has ended.
      await waitUntil(
        async () => {
          const status = await statusOf();
          return status === 'failed' || status === 'succeeded' ? true : undefined;
        },
        `run ${i}'s first attempt`,
        { timeoutMs: 120_000, intervalMs: 5 },
      );
      await applied.undo();
      const final = await waitUntil(
        async () => {
          if ((await statusOf()) === 'succeeded') return 'succeeded';
          return (await store.pipelines.get(pipelineId))?.status === 'paused' ? 'paused' : undefined;
        },
        `run ${i}'s end`,
        { timeoutMs: 300_000, intervalMs: 10 },
      ).catch(() => 'stuck' as const);

      const expected = fromApi ? apiIds : manifest.loaded.map((l) => Number(l.row.id));
      const exists = await pg.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
        `"${schema}".${table}`,
      ]);
      const got = exists.rows[0].t
        ? (
            await pg.query<{ count: number; distinct: number; md5: string | null }>(
              `SELECT count(*)::int AS count, count(DISTINCT id)::int AS distinct, md5(string_agg(id::text, ',' ORDER BY id)) AS md5 FROM "${schema}".${table}`,
            )
          ).rows[0]
        : { count: 0, distinct: 0, md5: null };
      const expectedIds = new Set(expected);
      const present = exists.rows[0].t
        ? (await pg.query<{ id: number }>(`SELECT DISTINCT id::bigint AS id FROM "${schema}".${table}`)).rows.map((r) =>
            Number(r.id),
          )
        : [];
      const lost = expected.length - present.filter((id) => expectedIds.has(id)).length;
      const duplicated = got.count - got.distinct;
      const exact = got.md5 === md5([...expected].sort((a, b) => a - b).join(',')) && got.count === expected.length;
      const attempts = Math.max(0, ...(await store.taskRuns.listByRun(runId)).items.map((t) => t.attempt));
      const outcome = byKind.get(fault.kind) ?? { runs: 0, succeeded: 0, lost: 0, duplicated: 0, attempts: 0 };
      outcome.runs++;
      if (final === 'succeeded' && exact) outcome.succeeded++;
      else failures.push(`run ${i} ${JSON.stringify(fault)}: ${final}, ${got.count}/${expected.length} rows`);
      outcome.lost += final === 'succeeded' ? lost : 0;
      outcome.duplicated += duplicated;
      outcome.attempts += attempts;
      byKind.set(fault.kind, outcome);
    }

    const all = [...byKind.values()].reduce(
      (a, b) => ({
        runs: a.runs + b.runs,
        succeeded: a.succeeded + b.succeeded,
        lost: a.lost + b.lost,
        duplicated: a.duplicated + b.duplicated,
        attempts: a.attempts + b.attempts,
      }),
      { runs: 0, succeeded: 0, lost: 0, duplicated: 0, attempts: 0 },
    );
    console.log(`recovery under a mixed fault schedule: ${all.runs} runs, seed "${SEED}"`);
    console.log(
      `  success rate ${((100 * all.succeeded) / all.runs).toFixed(1)} % (${all.succeeded}/${all.runs}; target ≥ 99.5 %)`,
    );
    console.log(`  rows lost ${all.lost}, rows duplicated ${all.duplicated} (succeeded runs, counts + md5 per target)`);
    console.log(`  time ${seconds(Date.now() - startedAt)} (${seconds((Date.now() - startedAt) / all.runs)} a run)`);
    console.log('  per fault kind: runs, exact successes, mean attempts, lost, duplicated');
    for (const [kind, o] of [...byKind.entries()].sort()) {
      console.log(
        `    ${kind.padEnd(15)} ${String(o.runs).padStart(4)} ${String(o.succeeded).padStart(4)}   ${(o.attempts / o.runs).toFixed(2)}   ${o.lost} ${o.duplicated}`,
      );
    }
    for (const failure of failures) console.log(`  not exact: ${failure}`);
    console.log(`  load average (1/5/15 min) ${loadAverage()}`);
  } finally {
    await api.close();
    await proxy.stop();
    await Promise.all(replicas.map((r) => r.stop().catch(() => undefined)));
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pg.end();
    await mesh.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

runBenchmark(main);
