/**
 * CSV → PostgreSQL: our engine (FileSource → runTask → PostgresSink, append)
 * against `psql -c "\copy … FROM … CSV"` of the same file into an identical
 * table, in one invocation. Prints rows/s of each, the ratio (target ≥ 0.8),
 * and our peak RSS for the small and the large file (should be flat: the
 * engine streams, it never holds the file).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
 *     npx ts-node --transpile-only loadtest/csv-to-postgres.ts [rows=1000000] [smallRows=100000] [repeat=2]
 *
 * Each engine run is a fresh child process, so its peak RSS is its own.
 * Traffic goes only to the database in DATABASE_URL (127.0.0.1 by default).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { ORDERS_COLUMNS } from './support/orders-csv';

const HEAP_CAP_MB = Number(process.env.HEAP_CAP_MB ?? 160);
const DATA_DIR = join(tmpdir(), 'aoe-bench');

// ------------------------------------------------------------------ data

/** A deterministic ~100-byte, 10-column CSV; reused when already generated. */
function generateCsv(rows: number): string {
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, `orders-${rows}.csv`);
  const marker = `${path}.done`;
  if (existsSync(path) && existsSync(marker)) return path;
  const statuses = ['open', 'shipped', 'cancelled', 'returned'];
  const countries = ['FR', 'DE', 'US', 'GB', 'JP'];
  const base = Date.UTC(2024, 0, 1);
  const fd = openSync(path, 'w');
  let chunk = `${ORDERS_COLUMNS.join(',')}\n`;
  for (let i = 1; i <= rows; i++) {
    const note = i % 10 === 0 ? `"note ${i}, with a comma"` : `note ${i}`;
    chunk +=
      `${i},${(i * 7919) % 100_000},user${i % 50_000}@example.com,${(((i * 37) % 100_000) / 100).toFixed(2)},` +
      `${i % 50},${statuses[i % 4]},${countries[i % 5]},${new Date(base + i * 1000).toISOString()},` +
      `${i % 3 === 0 ? 'false' : 'true'},${note}\n`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
  closeSync(openSync(marker, 'w'));
  return path;
}

// ------------------------------------------------------------------ one measured run (child process)

/**
 * What a child measures: the engine end to end (`rows`: with the pass-through
 * fast path turned off, so every row is decoded and re-encoded), or (to see where time goes)
 * the same source and sink wired together without the engine, the source
 * alone (read and drop), or the sink alone (fed rows already in memory).
 */
type Mode = 'engine' | 'rows' | 'connectors' | 'source' | 'sink';

async function child(mode: Mode, csv: string, schema: string, table: string): Promise<void> {
  useWorkspaceSources();
  const { runTask } = workspaceRequire('@aoe/engine') as typeof Engine;
  const { FileSource, PostgresSink } = workspaceRequire('@aoe/connectors') as typeof Connectors;
  const source = new FileSource({ kind: 'file', path: csv, format: 'csv' });
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
        extract: { mode: 'full' },
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
  } else {
    const [stream] = await source.discover();
    const options = {
      runId: `bench-${table}`,
      taskId: 'load',
      mode: 'append' as const,
      schema: stream,
      schemaEvolution: 'additive' as const,
    };
    if (mode === 'connectors') {
      const result = await sink.write(source.read({ batchSize: BATCH_SIZE }), options);
      run = { status: 'succeeded', rows: result.rowsWritten };
    } else if (mode === 'source') {
      let rows = 0;
      for await (const batch of source.read({ batchSize: BATCH_SIZE })) rows += batch.rows.length;
      run = { status: 'succeeded', rows };
    } else {
      // Rows as the CSV source makes them (strings), built once and handed over again and again.
      const total = Number(table.split('_').pop());
      const template: Connectors.Row[] = [];
      for await (const batch of source.read({ batchSize: BATCH_SIZE })) {
        template.push(...batch.rows);
        if (template.length >= BATCH_SIZE) break;
      }
      const batches = async function* (): AsyncGenerator<Connectors.Batch> {
        for (let sent = 0; sent < total; sent += template.length) {
          const rows = template.slice(0, Math.min(template.length, total - sent));
          yield { rows, positions: rows.map(() => ''), rejected: [], bytes: 0 };
        }
      };
      const result = await sink.write(batches(), options);
      run = { status: 'succeeded', rows: result.rowsWritten };
    }
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

function runChild(mode: Mode, csv: string, schema: string, table: string, nodeOptions = ''): Promise<ChildRun> {
  return runChildScript(__filename, [mode, csv, schema, table], nodeOptions);
}

// ------------------------------------------------------------------ psql

function runPsql(sql: string): number {
  const started = performance.now();
  const result = spawnSync('psql', [DATABASE_URL, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return seconds;
}

// ------------------------------------------------------------------ main

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const smallRows = Number(process.argv[3] ?? 100_000);
  const repeat = Number(process.argv[4] ?? 2);
  const client = pgClient();
  await client.connect();
  const schema = `aoe_bench_csv_${Date.now().toString(36)}`;
  await client.query(`CREATE SCHEMA ${quote(schema)}`);
  try {
    process.stdout.write(`generating CSVs in ${DATA_DIR} ...\n`);
    const small = generateCsv(smallRows);
    const large = generateCsv(rows);
    process.stdout.write(
      `csv-to-postgres: ${rows.toLocaleString('en-US')} rows x ${ORDERS_COLUMNS.length} columns, ${mb(statSync(large).size)} CSV; batch ${BATCH_SIZE}\n`,
    );

    const loadPsql = async (csv: string, like: string, table: string): Promise<number> => {
      await client.query(`CREATE TABLE ${quote(schema)}.${quote(table)} (LIKE ${quote(schema)}.${quote(like)})`);
      await client.query('CHECKPOINT');
      const seconds = runPsql(
        `\\copy ${quote(schema)}.${quote(table)} (${ORDERS_COLUMNS.map(quote).join(', ')}) FROM '${csv.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`,
      );
      const [{ n }] = (
        await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quote(schema)}.${quote(table)}`)
      ).rows;
      if (Number(n) !== Number(csv === large ? rows : smallRows)) throw new Error(`psql loaded ${n} rows`);
      return seconds;
    };
    const loadOurs = async (csv: string, table: string, mode: Mode = 'engine', nodeOptions = ''): Promise<ChildRun> => {
      await client.query('CHECKPOINT');
      const run = await runChild(mode, csv, schema, table, nodeOptions);
      if (run.rows !== (csv === large ? rows : smallRows)) throw new Error(`${mode} run moved ${run.rows} rows`);
      return run;
    };

    // The small file: warm-up, and the RSS baseline.
    const oursSmall = await loadOurs(small, 'ours_small');
    const psqlSmall = await loadPsql(small, 'ours_small', 'psql_small');
    process.stdout.write(
      `  ${smallRows.toLocaleString('en-US')} rows: ours ${oursSmall.seconds.toFixed(2)} s (${rate(smallRows, oursSmall.seconds)}), ` +
        `psql \\copy ${psqlSmall.toFixed(2)} s (${rate(smallRows, psqlSmall)})\n`,
    );

    const ours: ChildRun[] = [];
    const psql: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const run = await loadOurs(large, `ours_large_${i}`);
      ours.push(run);
      psql.push(await loadPsql(large, `ours_large_${i}`, `psql_large_${i}`));
      process.stdout.write(
        `  run ${i + 1}: ours ${run.seconds.toFixed(2)} s (cpu ${run.cpuSeconds.toFixed(2)} s), psql \\copy ${psql[i].toFixed(2)} s\n`,
      );
    }
    const bestOurs = Math.min(...ours.map((r) => r.seconds));
    const bestPsql = Math.min(...psql);
    const oursRate = rows / bestOurs;
    const psqlRate = rows / bestPsql;
    const largeRss = Math.max(...ours.map((r) => r.maxRssBytes));
    // Where the time goes: the same source and sink without the engine, and each alone.
    const rowPath = await loadOurs(large, 'rows_large', 'rows');
    const connectors = await loadOurs(large, 'conn_large', 'connectors');
    const sourceOnly = await loadOurs(large, 'src_large', 'source');
    const sinkOnly = await loadOurs(large, `sink_large_${rows}`, 'sink');
    // V8 lets garbage pile up in a large heap before collecting it; with the heap capped, RSS shows what is live.
    const capped = `--max-old-space-size=${HEAP_CAP_MB}`;
    const cappedSmall = await loadOurs(small, 'capped_small', 'engine', capped);
    const cappedLarge = await loadOurs(large, 'capped_large', 'engine', capped);
    process.stdout.write(
      [
        `ours  (engine: file → postgres, append): ${bestOurs.toFixed(2)} s, ${rate(rows, bestOurs)} [path: ${ours[0].path}]`,
        `psql  (\\copy … FROM CSV):               ${bestPsql.toFixed(2)} s, ${rate(rows, bestPsql)}`,
        `ratio ours/psql: ${(oursRate / psqlRate).toFixed(2)} (target >= 0.80)`,
        `peak RSS ours: ${smallRows.toLocaleString('en-US')} rows ${mb(oursSmall.maxRssBytes)}, ${rows.toLocaleString('en-US')} rows ${mb(largeRss)} (x${(largeRss / oursSmall.maxRssBytes).toFixed(2)})`,
        `peak RSS ours, heap capped at ${HEAP_CAP_MB} MB: ${smallRows.toLocaleString('en-US')} rows ${mb(cappedSmall.maxRssBytes)}, ${rows.toLocaleString('en-US')} rows ${mb(cappedLarge.maxRssBytes)} (x${(cappedLarge.maxRssBytes / cappedSmall.maxRssBytes).toFixed(2)}; ${cappedLarge.seconds.toFixed(2)} s, cpu ${cappedLarge.cpuSeconds.toFixed(2)} s)`,
        `breakdown (${rows.toLocaleString('en-US')} rows):`,
        `  ours on the row path (pass-through off: decode, re-encode): ${rowPath.seconds.toFixed(2)} s, ${rate(rows, rowPath.seconds)} (cpu ${rowPath.cpuSeconds.toFixed(2)} s)`,
        `  connectors without the engine (source.read → sink.write): ${connectors.seconds.toFixed(2)} s, ${rate(rows, connectors.seconds)} (cpu ${connectors.cpuSeconds.toFixed(2)} s)`,
        `  row-path engine cpu vs connectors cpu: ${(((rowPath.cpuSeconds - connectors.cpuSeconds) / connectors.cpuSeconds) * 100).toFixed(1)}%`,
        `  FileSource alone (CSV decode, rows dropped):             ${sourceOnly.seconds.toFixed(2)} s, ${rate(rows, sourceOnly.seconds)} (cpu ${sourceOnly.cpuSeconds.toFixed(2)} s)`,
        `  PostgresSink alone (rows already in memory):              ${sinkOnly.seconds.toFixed(2)} s, ${rate(rows, sinkOnly.seconds)} (cpu ${sinkOnly.cpuSeconds.toFixed(2)} s)`,
      ].join('\n') + '\n',
    );
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${quote(schema)} CASCADE`);
    await client.end();
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as Mode, process.argv[4], process.argv[5], process.argv[6]).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
