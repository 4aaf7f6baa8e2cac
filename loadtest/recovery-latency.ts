/**
 * Recovery latency: the time from an injected transient fault to the retried
 * task succeeding, over at least 50 injections (target p50 < 5 s; the charter
 * asks for 2 minutes).
 *
 * In-process mesh on real NATS and PostgreSQL (a dispatcher, two recovery
 * replicas, the monitor: e2e/test/support/recovery-mesh.ts) with the recovery
 * service's production settings (backoff base 1 s, full jitter). Each injection
 * is one run of a CSV of `rows` rows into its own PostgreSQL table through a
 * TcpFaultProxy; once the load has sent 100 kB the proxy resets every live
 * connection (ECONNRESET mid-COPY). Measured: injection → the load task's
 * retry finished (its `finishedAt`), split into detection (→ run failed),
 * decision and backoff (→ retry started) and the re-run; every table is checked
 * for exactly the file's rows (count + md5). Baseline in the same invocation:
 * the same run without a fault, and the ratio of the two p50s.
 *
 *   NATS_URL=nats://127.0.0.1:4222 DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
 *     npx ts-node --transpile-only loadtest/recovery-latency.ts [injections=50] [rows=50000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TcpFaultProxy, uniqueName, waitUntil } from '@aoe/testing';
import { requestRun, settled, startRecoveryMesh, tableChecksum } from '../e2e/test/support/recovery-mesh';
import { benchmarkEnvironment, loadAverage, runBenchmark, percentile, seconds, writeItems } from './recovery-support';

const INJECTIONS = Number(process.argv[2] ?? 50);
const ROWS = Number(process.argv[3] ?? 50_000);
const BASELINE_RUNS = 5;
/** COPY bytes sent before the reset: the fault lands mid-load. */
const RESET_AFTER_BYTES = 100_000;

benchmarkEnvironment({});

async function main(): Promise<void> {
  const startedAt = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'aoe-bench-reclat-'));
  const recovery = await startRecoveryMesh('benchreclat');
  const { dispatcher, pg, mesh } = recovery;
  const { store } = dispatcher.platform;
  const schema = uniqueName('bench_reclat');
  const upstream = new URL(mesh.databaseUrl);
  const proxy = await TcpFaultProxy.start({
    upstream: { host: upstream.hostname, port: Number(upstream.port || 5432) },
  });
  const file = await writeItems(join(dir, 'items.csv'), ROWS);
  const run = (table: string) =>
    requestRun(dispatcher, {
      source: { kind: 'file', path: file.path, format: 'auto', compression: 'auto' },
      target: {
        kind: 'postgres',
        connection: { url: proxy.proxiedUrl(mesh.databaseUrl) },
        table: { schema, name: table },
      },
    });
  let wrongTables = 0;
  const check = async (table: string) => {
    const got = await tableChecksum(pg, schema, table);
    if (got.count !== file.rows || got.md5 !== file.md5) wrongTables++;
  };

  try {
    const clean: number[] = [];
    for (let i = 0; i < BASELINE_RUNS; i++) {
      const t0 = Date.now();
      const { runId } = await run(`clean_${i}`);
      await settled(dispatcher, runId, 'succeeded', 120_000);
      clean.push(Date.now() - t0);
      await check(`clean_${i}`);
    }

    const total: number[] = [];
    const detection: number[] = [];
    const backoff: number[] = [];
    const rerun: number[] = [];
    let missed = 0;
    let gaveUp = 0;
    for (let i = 0; total.length < INJECTIONS && i < INJECTIONS * 2; i++) {
      const table = `faulted_${i}`;
      const before = proxy.stats().bytesToUpstream;
      const { runId } = await run(table);
      const ended = async () => {
        const r = await store.runs.get(runId);
        return r?.status === 'succeeded' || r?.status === 'failed' ? r.status : undefined;
      };
      await waitUntil(
        async () => (proxy.stats().bytesToUpstream > before + RESET_AFTER_BYTES || (await ended()) ? true : undefined),
        'the load under way',
        { timeoutMs: 120_000, intervalMs: 1 },
      );
      const injectedAt = Date.now();
      const reset = proxy.resetAll();
      const first = await waitUntil(ended, 'the first attempt', { timeoutMs: 120_000, intervalMs: 2 });
      const failedAt = Date.now();
      if (first !== 'failed' || reset === 0) {
        missed++; // the load had finished before the reset
        continue;
      }
      const final = await waitUntil(
        async () => {
          const r = await store.runs.get(runId);
          if (r?.status === 'succeeded') return 'succeeded';
          const pipeline = r?.pipelineId ? await store.pipelines.get(r.pipelineId) : undefined;
          return pipeline?.status === 'paused' ? 'paused' : undefined;
        },
        'the retried run',
        { timeoutMs: 300_000, intervalMs: 5 },
      );
      if (final !== 'succeeded') {
        gaveUp++;
        continue;
      }
      const loads = (await store.taskRuns.listByRun(runId)).items.filter((t) => t.taskId === 'load');
      const retried = loads.reduce((a, b) => (b.attempt > a.attempt ? b : a));
      const retryStarted = Date.parse(retried.startedAt ?? '');
      const retryFinished = Date.parse(retried.finishedAt ?? '');
      total.push(retryFinished - injectedAt);
      detection.push(failedAt - injectedAt);
      backoff.push(retryStarted - failedAt);
      rerun.push(retryFinished - retryStarted);
      await check(table);
    }

    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    const t = sorted(total);
    const c = sorted(clean);
    console.log(
      `recovery latency: ${t.length} injections of ECONNRESET mid-COPY, ${ROWS.toLocaleString('en-US')} rows a run`,
    );
    console.log(
      `  fault → retried task succeeded: p50 ${seconds(percentile(t, 50))}  p90 ${seconds(percentile(t, 90))}  p99 ${seconds(percentile(t, 99))}  max ${seconds(t.at(-1) ?? Number.NaN)}  (target p50 < 5 s)`,
    );
    console.log(
      `  of which (p50): detection ${seconds(percentile(sorted(detection), 50))}, decision + backoff ${seconds(percentile(sorted(backoff), 50))}, re-run ${seconds(percentile(sorted(rerun), 50))}`,
    );
    console.log(`  baseline: a clean run takes p50 ${seconds(percentile(c, 50))} (${c.length} runs)`);
    console.log(`  ratio: recovery p50 / clean run p50 = ${(percentile(t, 50) / percentile(c, 50)).toFixed(2)}`);
    console.log(`  missed injections (load done before the reset): ${missed}; runs that gave up: ${gaveUp}`);
    console.log(`  tables not holding exactly the file's rows: ${wrongTables} of ${t.length + c.length}`);
    console.log(`  wall time ${seconds(Date.now() - startedAt)}; load average (1/5/15 min) ${loadAverage()}`);
  } finally {
    await proxy.stop();
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await recovery.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

runBenchmark(main);
