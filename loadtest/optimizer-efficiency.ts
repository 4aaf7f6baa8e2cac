/**
 * The charter's resource-efficiency goal: the same sources loaded with the
 * plan the agents choose (profile -> rules plan -> optimizer settings) and with
 * fixed naive settings (one row at a time through the stages, one connection),
 * in one invocation: wall time and CPU-seconds of each.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx ts-node --transpile-only loadtest/optimizer-efficiency.ts [rows=50000]
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import type { PipelinePlan, SourceSpec, TargetSpec } from '@aoe/contracts';
import { createSinkConnector, createSourceConnector } from '@aoe/connectors';
import { InMemoryQuarantineSink, runTask } from '@aoe/engine';
import { applyOptimization, optimize } from '@aoe/optimizer';
import { planFromProfile } from '@aoe/planner';
import { SourceProfiler } from '@aoe/source-analysis';
import { uniqueName } from '@aoe/testing';

const ROWS = Number(process.argv[2] ?? 50_000);
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
process.env.LOG_LEVEL ??= 'warn';

interface Measured {
  source: string;
  settings: string;
  rowsLoaded: number;
  wallS: number;
  cpuS: number;
}

async function load(
  name: string,
  label: string,
  spec: SourceSpec,
  target: TargetSpec,
  plan: PipelinePlan,
): Promise<Measured> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await runTask({
    runId: randomUUID(),
    taskId: 'load',
    source: createSourceConnector(spec),
    sink: createSinkConnector(target),
    quarantine: new InMemoryQuarantineSink(),
    plan,
  });
  const wallS = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (result.status !== 'succeeded') throw new Error(`${name} (${label}) ${result.status}: ${result.error?.message}`);
  return {
    source: name,
    settings: `${label}: batch ${plan.settings.batchSize}, parallelism ${plan.settings.readParallelism}`,
    rowsLoaded: result.metrics.rowsLoaded,
    wallS: Number(wallS.toFixed(2)),
    cpuS: Number(((used.user + used.system) / 1e6).toFixed(2)),
  };
}

async function main(): Promise<void> {
  const schema = uniqueName('opteff');
  const dir = await mkdtemp(join(tmpdir(), 'aoe-opteff-'));
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    await pg.query(`CREATE SCHEMA "${schema}"`);
    await pg.query(
      `CREATE TABLE "${schema}".orders AS SELECT g AS id, 'customer ' || (g % 997) AS customer, (g * 7 % 10000) / 100.0 AS amount,
         timestamptz '2026-01-01' + g * interval '1 minute' AS created_at FROM generate_series(1, ${ROWS}) g`,
    );
    await pg.query(`ALTER TABLE "${schema}".orders ADD PRIMARY KEY (id)`);
    await pg.query(`ANALYZE "${schema}".orders`);
    const csv = join(dir, 'events.csv');
    const lines = Array.from(
      { length: ROWS },
      (_, i) => `${i + 1},user${i % 500}@example.com,click,${(i * 13) % 1000}`,
    );
    await writeFile(csv, `event_id,email,kind,value\n${lines.join('\n')}\n`);

    const sources: Array<{ name: string; spec: SourceSpec }> = [
      { name: `csv file, ${ROWS} rows`, spec: { kind: 'file', path: csv, format: 'auto', compression: 'auto' } },
      {
        name: `postgres table, ${ROWS} rows`,
        spec: { kind: 'postgres', connection: { url: databaseUrl }, table: { schema, name: 'orders' } },
      },
    ];
    const profiler = new SourceProfiler();
    const results: Measured[] = [];
    for (const [i, source] of sources.entries()) {
      const sourceId = `source-${i}`;
      const { profile } = await profiler.profile({ sourceId, spec: source.spec });
      const variants: Array<[string, (table: string) => PipelinePlan]> = [
        [
          'optimizer',
          (table) => {
            const input = planInput(sourceId, profile, table, schema);
            const drafted = planFromProfile(input).plan;
            const chosen = optimize({ plan: drafted, profile, history: [], seed: 'bench', explorationRate: 0 }).value;
            return applyOptimization(drafted, chosen, 2, new Date().toISOString());
          },
        ],
        [
          'naive',
          (table) => {
            const drafted = planFromProfile(planInput(sourceId, profile, table, schema)).plan;
            return { ...drafted, settings: { batchSize: 1, readParallelism: 1, loadConcurrency: 1 } };
          },
        ],
      ];
      for (const [label, make] of variants) {
        const table = `t${i}_${label}`;
        const plan = make(table);
        results.push(await load(source.name, label, source.spec, plan.target, plan));
      }
    }
    console.log(`optimizer vs naive settings (the agents' plan either way; naive = batch 1, one connection)`);
    console.table(results);
    for (let i = 0; i < results.length; i += 2) {
      const [opt, naive] = [results[i], results[i + 1]];
      console.log(
        `${opt.source}: wall ${(100 * (1 - opt.wallS / naive.wallS)).toFixed(0)}% less, CPU ${(100 * (1 - opt.cpuS / naive.cpuS)).toFixed(0)}% less with the optimizer's settings (target: 30% less of both)`,
      );
    }
  } finally {
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pg.end();
    await rm(dir, { recursive: true, force: true });
  }
}

function planInput(
  sourceId: string,
  profile: Parameters<typeof planFromProfile>[0]['profile'],
  table: string,
  schema: string,
) {
  return {
    profile,
    sourceId,
    pipelineId: `pipeline-${table}`,
    version: 1,
    target: { kind: 'postgres' as const, connection: { url: databaseUrl }, table: { schema, name: table } },
    policy: { maskPii: false, schemaEvolution: 'additive' as const },
  };
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
