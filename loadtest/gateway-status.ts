/**
 * Gateway status queries under load: seeds 10,000 runs into a fresh store
 * schema, starts the gateway (real NATS and PostgreSQL, 127.0.0.1 only), and
 * drives each scenario at a fixed 500 requests/s for a bounded time with
 * autocannon, printing p50 and p99 latency (target: p99 < 50 ms).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test NATS_URL=nats://127.0.0.1:4222 \
 *     npx ts-node --transpile-only loadtest/gateway-status.ts [seconds per scenario, default 10]
 *
 * The same scenarios for k6: loadtest/k6/ (see its README).
 */
import 'reflect-metadata';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CreateApiKeyUseCase, GatewayModule } from '@aoe/gateway';
import { JetStreamBus } from '@aoe/messaging';
import { startServiceApp } from '@aoe/service-kit';
import { openStore, type Store } from '@aoe/store';
import { setupTelemetry } from '@aoe/telemetry';
import { deleteTestStreams, dropTestSchema, uniqueName } from '@aoe/testing';
import { Client } from 'pg';
import { pacedLoad } from './support/paced-load';

/** The part of autocannon's API used here (the package ships no types). */
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  workers?: number;
  overallRate?: number;
  headers?: Record<string, string>;
  requests?: Array<{ method: 'GET'; path: string }>;
}
interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: AutocannonOptions) => Promise<AutocannonResult>;

const SECONDS = Number(process.argv[2] ?? 10);
const RATE = 500;
const WARM_UP_SECONDS = 3;
const WORKERS = 2;
const RUNS = 10_000;
const PIPELINES = 20;
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

async function seed(store: Store): Promise<{ runIds: string[]; pipelineIds: string[] }> {
  const source = await store.sources.create({
    name: 'bench-source',
    spec: { kind: 'file', path: 'bench.csv', format: 'csv', compression: 'none' },
  });
  const pipelineIds: string[] = [];
  for (let p = 0; p < PIPELINES; p++) {
    const pipeline = await store.pipelines.create({
      sourceId: source.id,
      name: `bench ${p}`,
      target: { kind: 'warehouse', table: { schema: 'public', name: `bench_${p}` } },
    });
    pipelineIds.push(pipeline.id);
  }
  const runIds: string[] = [];
  const CHUNK = 50;
  for (let i = 0; i < RUNS; i += CHUNK) {
    const created = await Promise.all(
      Array.from({ length: Math.min(CHUNK, RUNS - i) }, (_, j) =>
        store.runs.create({ pipelineId: pipelineIds[(i + j) % PIPELINES], trigger: 'api' }),
      ),
    );
    await Promise.all(
      created.map(async (run, j) => {
        runIds.push(run.id);
        if ((i + j) % 3 === 0) await store.runs.updateStatus(run.id, 'running');
        await store.taskRuns.upsert({ runId: run.id, taskId: 'extract', status: 'succeeded', attempt: 1, rows: 100 });
      }),
    );
  }
  return { runIds, pipelineIds };
}

interface Scenario {
  name: string;
  /** Each connection cycles through these paths (plain data: workers cannot take functions). */
  paths: string[];
}

/** The scenario's own requests at the measured rate for `seconds`: autocannon's raw result. */
function load(url: string, key: string, scenario: Scenario, seconds: number) {
  return autocannon({
    url,
    connections: 20,
    // The load generator runs in worker threads, so it does not share the gateway's event loop;
    // overallRate is per worker.
    workers: WORKERS,
    overallRate: RATE / WORKERS,
    duration: seconds,
    headers: { authorization: `Bearer ${key}` },
    requests: scenario.paths.map((path) => ({ method: 'GET' as const, path })),
  });
}

async function drive(url: string, key: string, scenario: Scenario) {
  // Warm-up with the scenario itself, so JIT, the store's connection pool and
  // PostgreSQL's buffers are in the state steady polling keeps them in.
  await load(url, key, scenario, WARM_UP_SECONDS);
  const result = await load(url, key, scenario, SECONDS);
  // The same requests from an open-loop generator that sends on a fixed 2 ms
  // schedule and times each request from its scheduled start: a cross-check
  // that tells the server's latency from bursts of the load generator.
  // How long the gateway's event loop was blocked while the paced load ran (GC, synchronous work).
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const paced = await pacedLoad({
    url,
    headers: { authorization: `Bearer ${key}` },
    paths: scenario.paths,
    rate: RATE,
    seconds: SECONDS,
  });
  loopDelay.disable();
  return {
    scenario: scenario.name,
    requests: result.requests.total,
    'req/s': Math.round(result.requests.average),
    non2xx: result.non2xx + paced.non2xx,
    errors: result.errors + result.timeouts + paced.errors,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    pacedP50Ms: paced.p50Ms,
    pacedP99Ms: paced.p99Ms,
    pacedMaxMs: paced.maxMs,
    loopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e5) / 10,
    loopDelayMaxMs: Math.round(loopDelay.max / 1e5) / 10,
  };
}

async function main(): Promise<void> {
  const schema = uniqueName('gwbench');
  const namespace = uniqueName('gwbench');
  Object.assign(process.env, {
    AOE_BUS_NAMESPACE: namespace,
    AOE_RATE_LIMIT_RPS: '100000',
    AOE_RATE_LIMIT_BURST: '100000',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const telemetry = setupTelemetry('gateway');
  const bus = await JetStreamBus.connect({ servers: natsUrl, namespace });
  const store = await openStore({ url: databaseUrl, schema, poolSize: 20 });
  let app: Awaited<ReturnType<typeof startServiceApp>> | undefined;
  try {
    const seededAt = Date.now();
    const { runIds, pipelineIds } = await seed(store);
    console.log(`seeded ${runIds.length} runs over ${pipelineIds.length} pipelines in ${Date.now() - seededAt} ms`);
    // A store that has been live for a while is vacuumed and analysed; right after a bulk seed,
    // autovacuum would do it in the middle of the first scenario.
    const pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    await pg.query(`VACUUM ANALYZE "${schema}".runs, "${schema}".task_runs, "${schema}".pipelines`);
    await pg.end();
    app = await startServiceApp({ service: 'gateway', modules: [GatewayModule], platform: { telemetry, bus, store } });
    const { key } = await app.app
      .get(CreateApiKeyUseCase)
      .execute({ name: 'bench', scope: 'read', createdBy: 'bench' });
    const hot = runIds[runIds.length - 1];
    const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];
    const many = (make: () => string) => Array.from({ length: 1000 }, make);
    const scenarios: Scenario[] = [
      { name: 'GET /v1/runs/{id} (one run, cached 1 s)', paths: [`/v1/runs/${hot}`] },
      { name: 'GET /v1/runs/{id} (random of 10,000)', paths: many(() => `/v1/runs/${pick(runIds)}`) },
      { name: 'GET /v1/runs?limit=50', paths: ['/v1/runs?limit=50'] },
      {
        name: 'GET /v1/runs?pipelineId=&limit=50',
        paths: many(() => `/v1/runs?pipelineId=${pick(pipelineIds)}&limit=50`),
      },
    ];
    const results = [];
    for (const scenario of scenarios) results.push(await drive(app.url, key, scenario));
    console.table(results);
    const worst = Math.max(...results.map((r) => r.p99Ms));
    const worstPaced = Math.max(...results.map((r) => r.pacedP99Ms));
    console.log(
      `target p99 < 50 ms at ${RATE} req/s (autocannon): ${worst < 50 ? 'met' : 'NOT met'} (worst p99 ${worst} ms)`,
    );
    console.log(
      `target p99 < 50 ms at ${RATE} req/s (paced): ${worstPaced < 50 ? 'met' : 'NOT met'} (worst p99 ${worstPaced} ms)`,
    );
  } finally {
    if (app) await app.close();
    else {
      await bus.close();
      await store.close();
    }
    await deleteTestStreams(natsUrl, namespace);
    await dropTestSchema(databaseUrl, schema);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
