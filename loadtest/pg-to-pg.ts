/**
 * PostgreSQL → PostgreSQL: our engine (PostgresSource → runTask →
 * PostgresSink, append) against `psql -c "COPY … TO STDOUT" | psql -c "COPY …
 * FROM STDIN"` between the same tables, in one invocation. Prints rows/s of
 * each and the ratio (target ≥ 0.8), then where the time goes.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
 *     npx ts-node --transpile-only loadtest/pg-to-pg.ts [rows=1000000] [repeat=2] [smallRows=100000]
 *
 * Each engine run is a fresh child process. Traffic goes only to the
 * database in DATABASE_URL (127.0.0.1 by default).
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type * as Connectors from '@aoe/connectors';
import type * as Engine from '@aoe/engine';
import {
  BATCH_SIZE,
  DATABASE_URL,
  READ_AHEAD,
  pgClient,
  quote,
  rate,
  runChildScript,
  useWorkspaceSources,
  workspaceRequire,
  type ChildRun,
} from './support/child-benchmark';

// ------------------------------------------------------------------ one measured run (child process)

/** The engine end to end (`rows`: pass-through fast path off), or the connectors wired without it, or the source alone. */
type Mode = 'engine' | 'rows' | 'connectors' | 'source';

async function child(mode: Mode, schema: string, table: string, partitions: number, from = 'src'): Promise<void> {
  useWorkspaceSources();
  const { runTask } = workspaceRequire('@aoe/engine') as typeof Engine;
  const { PostgresSource, PostgresSink } = workspaceRequire('@aoe/connectors') as typeof Connectors;
  const source = new PostgresSource({ connection: { url: DATABASE_URL }, table: { schema, name: from } });
  const sink = new PostgresSink({ connection: { url: DATABASE_URL }, table: { schema, name: table } });
  const cpu = process.cpuUsage();
  const started = performance.now();
  let run: Pick<ChildRun, 'status' | 'error' | 'rows' | 'path'>;
  if (mode === 'engine' || mode === 'rows') {
    const result = await runTask({
      passThrough: mode === 'engine',
      runId: `bench-${table}`,
      taskId: 'load',
      source,
      sink,
      readAhead: READ_AHEAD,
      plan: {
        pipelineId: 'bench',
        extract: { mode: 'full', partitions },
        stages: [],
        load: { mode: 'append' },
        batchSize: BATCH_SIZE,
      },
    });
    run = {
      status: result.status,
      error: result.error?.message,
      rows: result.metrics.rowsLoaded,
      path: result.path?.fallbackReason ? `rows (fell back: ${result.path.fallbackReason})` : result.path?.kind,
    };
  } else if (mode === 'connectors') {
    const [stream] = await source.discover();
    const result = await sink.write(source.read({ batchSize: BATCH_SIZE, partitions }), {
      runId: `bench-${table}`,
      taskId: 'load',
      mode: 'append',
      schema: stream,
      schemaEvolution: 'additive',
    });
    run = { status: 'succeeded', rows: result.rowsWritten };
  } else {
    let rows = 0;
    for await (const batch of source.read({ batchSize: BATCH_SIZE, partitions })) rows += batch.rows.length;
    run = { status: 'succeeded', rows };
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await sink.close();
  const out: ChildRun = {
    ...run,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

function runChild(mode: Mode, schema: string, table: string, partitions = 1, from = 'src'): Promise<ChildRun> {
  return runChildScript(__filename, [mode, schema, table, String(partitions), from]);
}

// ------------------------------------------------------------------ psql

/** `psql COPY … TO STDOUT | psql COPY … FROM STDIN`, timed as a whole. */
function psqlPipe(from: string, to: string): number {
  const psql = `psql '${DATABASE_URL.replace(/'/g, '')}' -X -q -v ON_ERROR_STOP=1`;
  const command = `set -o pipefail; ${psql} -c "COPY ${from.replace(/"/g, '\\"')} TO STDOUT" | ${psql} -c "COPY ${to.replace(/"/g, '\\"')} FROM STDIN"`;
  const started = performance.now();
  const result = spawnSync('bash', ['-c', command], { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`psql pipe failed: ${result.stderr}`);
  return seconds;
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const repeat = Number(process.argv[3] ?? 2);
  const smallRows = Number(process.argv[4] ?? 100_000);
  const client = pgClient();
  await client.connect();
  const schema = `aoe_bench_pg_${Date.now().toString(36)}`;
  const t = (name: string) => `${quote(schema)}.${quote(name)}`;
  await client.query(`CREATE SCHEMA ${quote(schema)}`);
  try {
    await client.query(`
      CREATE TABLE ${t('src')} (
        id integer PRIMARY KEY,
        customer_id integer NOT NULL,
        email text NOT NULL,
        amount numeric(12,2) NOT NULL,
        quantity integer NOT NULL,
        status text NOT NULL,
        country text NOT NULL,
        created_at timestamptz NOT NULL,
        is_active boolean NOT NULL,
        note text
      )`);
    await client.query(
      `INSERT INTO ${t('src')}
       SELECT g, (g::bigint * 7919 % 100000)::int, 'user' || (g % 50000) || '@example.com', ((g * 37) % 100000) / 100.0, g % 50,
              (ARRAY['open','shipped','cancelled','returned'])[g % 4 + 1], (ARRAY['FR','DE','US','GB','JP'])[g % 5 + 1],
              timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', g % 3 <> 0,
              CASE WHEN g % 10 = 0 THEN NULL ELSE 'note ' || g || E', with\\ta tab' END
         FROM generate_series(1, $1::int) g`,
      [rows],
    );
    await client.query(`VACUUM ANALYZE ${t('src')}`);
    // The same rows, fewer of them: peak RSS should not grow with the data.
    await client.query(`CREATE TABLE ${t('src_small')} (LIKE ${t('src')} INCLUDING ALL)`);
    await client.query(`INSERT INTO ${t('src_small')} SELECT * FROM ${t('src')} WHERE id <= $1::int`, [smallRows]);
    await client.query(`VACUUM ANALYZE ${t('src_small')}`);
    process.stdout.write(`pg-to-pg: ${rows.toLocaleString('en-US')} rows x 10 columns; batch ${BATCH_SIZE}\n`);

    const count = async (table: string) =>
      Number((await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${t(table)}`)).rows[0].n);
    const ours: ChildRun[] = [];
    const psql: number[] = [];
    for (let i = 0; i < repeat; i++) {
      await client.query('CHECKPOINT');
      const run = await runChild('engine', schema, `ours_${i}`);
      if (run.rows !== rows || (await count(`ours_${i}`)) !== rows) throw new Error(`engine loaded ${run.rows} rows`);
      ours.push(run);
      await client.query(`CREATE TABLE ${t(`psql_${i}`)} (LIKE ${t(`ours_${i}`)})`);
      await client.query('CHECKPOINT');
      psql.push(psqlPipe(`${quote(schema)}.src`, `${quote(schema)}.${quote(`psql_${i}`)}`));
      if ((await count(`psql_${i}`)) !== rows) throw new Error('psql pipe loaded the wrong number of rows');
      process.stdout.write(
        `  run ${i + 1}: ours ${run.seconds.toFixed(2)} s (cpu ${run.cpuSeconds.toFixed(2)} s), psql pipe ${psql[i].toFixed(2)} s\n`,
      );
    }
    const bestOurs = Math.min(...ours.map((r) => r.seconds));
    const bestPsql = Math.min(...psql);
    await client.query('CHECKPOINT');
    const small = await runChild('engine', schema, 'ours_small', 1, 'src_small');
    if (small.rows !== smallRows) throw new Error(`engine loaded ${small.rows} of the small table's rows`);
    const largeRss = Math.max(...ours.map((r) => r.maxRssBytes));

    await client.query('CHECKPOINT');
    const rowPath = await runChild('rows', schema, 'rows');
    await client.query('CHECKPOINT');
    const connectors = await runChild('connectors', schema, 'conn');
    const sourceOnly = await runChild('source', schema, 'none');
    await client.query('CHECKPOINT');
    const partitioned = await runChild('engine', schema, 'ours_p2', 2);
    process.stdout.write(
      [
        `ours  (engine: postgres → postgres, append): ${bestOurs.toFixed(2)} s, ${rate(rows, bestOurs)} [path: ${ours[0].path}]`,
        `psql  (COPY TO STDOUT | COPY FROM STDIN):    ${bestPsql.toFixed(2)} s, ${rate(rows, bestPsql)}`,
        `ratio ours/psql: ${(bestPsql / bestOurs).toFixed(2)} (target >= 0.80)`,
        `peak RSS ours: ${smallRows.toLocaleString('en-US')} rows ${(small.maxRssBytes / 1024 / 1024).toFixed(0)} MB, ${rows.toLocaleString('en-US')} rows ${(largeRss / 1024 / 1024).toFixed(0)} MB (x${(largeRss / small.maxRssBytes).toFixed(2)})`,
        `breakdown (${rows.toLocaleString('en-US')} rows):`,
        `  ours on the row path (pass-through off: decode, re-encode): ${rowPath.seconds.toFixed(2)} s, ${rate(rows, rowPath.seconds)} (cpu ${rowPath.cpuSeconds.toFixed(2)} s)`,
        `  ours with 2 source partitions [path: ${partitioned.path}]: ${partitioned.seconds.toFixed(2)} s, ${rate(rows, partitioned.seconds)} (cpu ${partitioned.cpuSeconds.toFixed(2)} s)`,
        `  connectors without the engine (source.read → sink.write): ${connectors.seconds.toFixed(2)} s, ${rate(rows, connectors.seconds)} (cpu ${connectors.cpuSeconds.toFixed(2)} s)`,
        `  PostgresSource alone (COPY TO STDOUT decode, rows dropped): ${sourceOnly.seconds.toFixed(2)} s, ${rate(rows, sourceOnly.seconds)} (cpu ${sourceOnly.cpuSeconds.toFixed(2)} s)`,
        `  row-path engine cpu vs connectors cpu: ${(((rowPath.cpuSeconds - connectors.cpuSeconds) / connectors.cpuSeconds) * 100).toFixed(1)}%`,
      ].join('\n') + '\n',
    );
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${quote(schema)} CASCADE`);
    await client.end();
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as Mode, process.argv[4], process.argv[5], Number(process.argv[6] ?? 1), process.argv[7]).catch(
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
