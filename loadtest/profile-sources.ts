/**
 * Profiling time on big sources: a 10M-row PostgreSQL table (generated with
 * generate_series in a temporary schema, dropped afterwards) and a ~1 GB CSV
 * (generated to a temporary file, deleted afterwards). The profiler samples
 * within its bounds, so each should take about 2 s, not minutes.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx ts-node --transpile-only loadtest/profile-sources.ts [rows] [csvMiB]
 *
 * Needs the workspace built (`npm run build`): it loads @aoe/source-analysis from dist.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { SourceSpec } from '@aoe/contracts';
import { SourceProfiler, type ProfileOutcome } from '@aoe/source-analysis';

const ROWS = Number(process.argv[2] ?? 10_000_000);
const CSV_MIB = Number(process.argv[3] ?? 1024);
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Result {
  source: string;
  seconds: number;
  sampled: number;
  stoppedBy: string;
  rows: number;
  rowCountEstimate: number;
  rowCountFrom: string;
  sizeMiB: number;
}

function summarize(source: string, seconds: number, outcome: ProfileOutcome, rows: number): Result {
  return {
    source,
    seconds: Math.round(seconds * 1000) / 1000,
    sampled: outcome.sampling.rowsRead,
    stoppedBy: outcome.sampling.stoppedBy,
    rows,
    rowCountEstimate: outcome.profile.rowCountEstimate,
    rowCountFrom: outcome.rowCountFrom,
    sizeMiB: Math.round((outcome.profile.sizeBytes ?? 0) / 1024 / 1024),
  };
}

async function timed(fn: () => Promise<ProfileOutcome>): Promise<{ seconds: number; outcome: ProfileOutcome }> {
  const started = performance.now();
  const outcome = await fn();
  return { seconds: (performance.now() - started) / 1000, outcome };
}

async function postgresScenario(profiler: SourceProfiler): Promise<Result> {
  const schema = `aoe_profile_bench_${Date.now().toString(36)}`;
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const generating = performance.now();
    await client.query(`CREATE SCHEMA "${schema}"`);
    await client.query('SET synchronous_commit = off');
    await client.query(`CREATE TABLE "${schema}".orders (
      id bigint PRIMARY KEY, customer_email text NOT NULL, amount numeric(12,2), status text NOT NULL,
      created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)`);
    await client.query(
      `INSERT INTO "${schema}".orders
         SELECT g, 'customer' || (g % 250000) || '@shop.example', (g % 100000) / 100.0,
                (ARRAY['new','paid','shipped','returned'])[1 + g % 4],
                timestamptz '2020-01-01' + g * interval '10 seconds',
                timestamptz '2020-01-01' + g * interval '10 seconds' + (g % 7) * interval '1 hour'
           FROM generate_series(1, $1::bigint) AS g`,
      [ROWS],
    );
    // What autovacuum does to a table this size soon after it is loaded.
    await client.query(`ANALYZE "${schema}".orders`);
    console.log(
      `generated ${ROWS.toLocaleString('en')} rows in PostgreSQL in ${((performance.now() - generating) / 1000).toFixed(1)} s`,
    );

    const spec = SourceSpec.parse({
      kind: 'postgres',
      connection: { url: databaseUrl },
      table: { schema, name: 'orders' },
    });
    const { seconds, outcome } = await timed(() => profiler.profile({ sourceId: 'bench-pg', spec }));
    return summarize(`PostgreSQL table, ${ROWS.toLocaleString('en')} rows`, seconds, outcome, ROWS);
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

async function csvScenario(profiler: SourceProfiler): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'aoe-profile-bench-'));
  try {
    const path = join(dir, 'orders.csv');
    const generating = performance.now();
    const out = createWriteStream(path);
    out.write('id,customer_email,amount,status,created_at,updated_at\n');
    const target = CSV_MIB * 1024 * 1024;
    const start = Date.UTC(2020, 0, 1);
    let written = 0;
    let id = 1;
    while (written < target) {
      const lines: string[] = [];
      for (const end = id + 20_000; id < end; id++) {
        const at = new Date(start + id * 10_000).toISOString();
        lines.push(
          `${id},customer${id % 250_000}@shop.example,${(id % 100_000) / 100},${id % 4 ? 'paid' : 'new'},${at},${at}`,
        );
      }
      const chunk = `${lines.join('\n')}\n`;
      written += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const size = (await stat(path)).size;
    console.log(
      `generated a ${(size / 1024 / 1024).toFixed(0)} MiB CSV in ${((performance.now() - generating) / 1000).toFixed(1)} s`,
    );

    const spec = SourceSpec.parse({ kind: 'file', path });
    const { seconds, outcome } = await timed(() => profiler.profile({ sourceId: 'bench-csv', spec }));
    return summarize(`CSV file, ${(size / 1024 / 1024).toFixed(0)} MiB`, seconds, outcome, id - 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const profiler = new SourceProfiler();
  const results = [await postgresScenario(profiler), await csvScenario(profiler)];
  console.table(results);
  for (const r of results) {
    console.log(
      `${r.source}: profiled in ${r.seconds.toFixed(2)} s (target ≈ 2 s), ${r.sampled} rows sampled (${r.stoppedBy} bound), ~${r.rowCountEstimate.toLocaleString('en')} rows estimated from ${r.rowCountFrom} (actual ${r.rows.toLocaleString('en')})`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
