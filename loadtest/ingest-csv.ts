/**
 * `aoe ingest` of a CSV into PostgreSQL, end to end — the CLI as a user runs
 * it: start-up, analysis, planning, optimization and the load — against
 * `psql -c "\copy … FROM … CSV"` of the same file, in one invocation. Prints
 * both, the ratio psql/aoe (target ≥ 0.7), and where aoe's time went. aoe runs
 * four ways, each with a home of its own: as it comes (its control-plane store
 * in PGlite under AOE_HOME, served by the home's store daemon, which an earlier
 * command started); as the first command after the daemon ended (`aoe store
 * stop` before it, not timed: the command starts the daemon); without the
 * daemon (AOE_STORE_DAEMON=0: the command opens PGlite in a thread of its own);
 * and with its store in PostgreSQL (AOE_STORE_URL, a schema of the benchmark's).
 *
 *   npm run build
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
 *     npx ts-node --transpile-only loadtest/ingest-csv.ts [rows=1000000] [repeat=1]
 *
 * The CSV (10 columns, ~99 MB for 1,000,000 rows) is generated once in
 * $TMPDIR/aoe-ingest-bench and reused. aoe runs as a child process, as the
 * `aoe` bin does (`node services/cli/bin/aoe.js`: the bundle `npm run build`
 * makes). Warm-ups first, not counted (they are reported): an ingest of
 * examples/events.csv into the warehouse in each home (PGlite's one-time
 * initdb of the store), one into PostgreSQL (the bundle's first run of such an
 * ingest writes its V8 code cache), and `aoe runs` on the PostgreSQL store (its
 * migrations). The daemon's own page faults are not in the aoe process's. Each
 * side loads into a fresh table of one fresh schema (dropped at the end), after
 * a CHECKPOINT. Then the re-ingest: the same file again into the table aoe's
 * first round made (the planner's merge on `id`, the default way), against
 * psql's upsert of the file into its own first table (`\copy` into a
 * temporary table, then `INSERT … ON CONFLICT (id) DO UPDATE`), and against the
 * same upsert skipping unchanged rows. Traffic goes only to DATABASE_URL
 * (127.0.0.1 by default).
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { childrenMinorFaults, firstTouchMicrosPerPage } from './support/machine';
import { ORDERS_COLUMNS } from './support/orders-csv';

const ROOT = resolve(__dirname, '..');
const CLI = join(ROOT, 'services/cli/bin/aoe.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { bundleIsCurrent } = require('../services/cli/bin/run-bundle.js') as {
  bundleIsCurrent: (dist: string) => boolean;
};
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROWS = Number(process.argv[2] ?? 1_000_000);
const REPEAT = Number(process.argv[3] ?? 1);
const DATA_DIR = join(tmpdir(), 'aoe-ingest-bench');

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** A deterministic ~100-byte, 10-column CSV with a key, a creation time and an e-mail column. */
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

interface AoeRun {
  seconds: number;
  /** Minor page faults of the aoe process (undefined where the OS does not say). */
  faults?: number;
  summary: { runId: string; status: string; rowsLoaded: number; durationMs: number; error?: string };
  /** The run itself (extract → load), from the store. */
  runSeconds: number;
}

/** How aoe is run, in a home of its own; `stopDaemon`: its store daemon is stopped (untimed) before each timed ingest. */
interface Variant {
  label: string;
  short: string;
  env: Record<string, string>;
  home: string;
  stopDaemon?: boolean;
}

function aoe(
  args: string[],
  home: string,
  env: Record<string, string> = {},
): Promise<{ seconds: number; stdout: string; code: number; faults?: number }> {
  return new Promise((done, fail) => {
    const faultsBefore = childrenMinorFaults();
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, AOE_HOME: home, LOG_LEVEL: '', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      done({ seconds, stdout, code: code ?? 1, faults: faultsSince(faultsBefore) });
    });
  });
}

async function runAoe(csv: string, variant: Variant, schema: string, table: string): Promise<AoeRun> {
  const { home } = variant;
  if (variant.stopDaemon) {
    // The previous ingest left the daemon running: it must be gone, or this would measure a warm start.
    const stop = await aoe(['store', 'stop', '--json'], home, variant.env);
    if (stop.code !== 0 || !(JSON.parse(stop.stdout) as { stopped: boolean }).stopped) {
      throw new Error(`aoe store stop found no daemon to stop in ${home}: ${stop.stdout}`);
    }
  }
  const { seconds, stdout, code, faults } = await aoe(
    ['ingest', csv, '--into', `${DATABASE_URL}#${schema}.${table}`, '--json'],
    home,
    variant.env,
  );
  const summary = JSON.parse(stdout.trim()) as AoeRun['summary'];
  if (code !== 0 || summary.status !== 'succeeded')
    throw new Error(`aoe ingest failed (${code}): ${summary.error ?? stdout}`);
  const runs = JSON.parse((await aoe(['runs', '--json', '--limit', '5'], home, variant.env)).stdout) as Array<{
    id: string;
    stats?: { durationMs: number };
  }>;
  const run = runs.find((r) => r.id === summary.runId);
  return { seconds, faults, summary, runSeconds: (run?.stats?.durationMs ?? 0) / 1000 };
}

/** Faults of the child that exited since `before` was read. */
function faultsSince(before: number | undefined): number | undefined {
  const after = childrenMinorFaults();
  return before === undefined || after === undefined ? undefined : after - before;
}

/** Runs psql with these commands in one session (stopping at the first error); returns its seconds. */
function psql(...commands: string[]): number {
  const started = performance.now();
  execFileSync('psql', [DATABASE_URL, '-q', '-v', 'ON_ERROR_STOP=1', ...commands.flatMap((c) => ['-c', c])], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return (performance.now() - started) / 1000;
}

/** psql's time, and its process's page faults (the server's are not its). */
function runPsql(csv: string, schema: string, table: string): { seconds: number; faults?: number } {
  const faultsBefore = childrenMinorFaults();
  const seconds = psql(`\\copy "${schema}"."${table}" FROM '${csv}' WITH (FORMAT csv, HEADER true)`);
  return { seconds, faults: faultsSince(faultsBefore) };
}

/**
 * psql's upsert of the file into `table` (which has a primary key on id): `\copy` into a temporary table,
 * then INSERT … ON CONFLICT DO UPDATE; `skipUnchanged` adds the join that leaves equal rows alone.
 */
function runPsqlUpsert(csv: string, schema: string, table: string, skipUnchanged: boolean): number {
  const target = `"${schema}"."${table}"`;
  const others = ORDERS_COLUMNS.filter((c) => c !== 'id');
  const update = `ON CONFLICT (id) DO UPDATE SET ${others.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
  const upsert = skipUnchanged
    ? `INSERT INTO ${target} SELECT s.* FROM staged s LEFT JOIN ${target} t ON t.id = s.id ` +
      `WHERE t.id IS NULL OR (${others.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${others.map((c) => `s.${c}`).join(', ')}) ${update}`
    : `INSERT INTO ${target} SELECT * FROM staged ${update}`;
  return psql(
    `CREATE TEMPORARY TABLE staged (LIKE ${target})`,
    `\\copy staged FROM '${csv}' WITH (FORMAT csv, HEADER true)`,
    upsert,
  );
}

/** Row count and a digest of every value, in one text form for both tables' column types (amount as a double). */
async function tableDigest(db: Client, schema: string, table: string): Promise<{ rows: number; md5: string }> {
  const { rows } = await db.query<{ rows: number; md5: string }>(
    `SELECT count(*)::int AS rows, md5(string_agg(concat_ws('|', id, customer_id, email, amount::double precision,
       quantity, status, country, created_at, is_active, note), E'\\n' ORDER BY id)) AS md5 FROM "${schema}"."${table}"`,
  );
  return rows[0];
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  // Otherwise bin/aoe.js runs the unbundled tsc output: a user's figures would be a second slower.
  if (!bundleIsCurrent(join(ROOT, 'services/cli/dist'))) {
    throw new Error('the CLI bundle is missing or older than the tsc output: run npm run build first');
  }
  const firstTouch = firstTouchMicrosPerPage();
  const load = loadavg()[0];
  process.stdout.write(`generating the CSV in ${DATA_DIR} ...\n`);
  const csv = generateCsv(ROWS);
  const schema = `aoe_ingest_bench_${Date.now().toString(36)}`;
  const home = (name: string) => join(DATA_DIR, `home-${process.pid}-${name}`);
  const variants: Variant[] = [
    {
      label: 'store in PGlite under AOE_HOME, its daemon running (the default, from the second command on)',
      short: 'default',
      env: {},
      home: home('default'),
    },
    {
      label: 'store in PGlite, its daemon not running (the first command after it ended)',
      short: 'daemon stopped',
      env: {},
      home: home('first'),
      stopDaemon: true,
    },
    {
      label: 'store in PGlite, no daemon (AOE_STORE_DAEMON=0)',
      short: 'AOE_STORE_DAEMON=0',
      env: { AOE_STORE_DAEMON: '0' },
      home: home('no-daemon'),
    },
    {
      label: 'store in PostgreSQL (AOE_STORE_URL)',
      short: 'AOE_STORE_URL',
      env: { AOE_STORE_URL: DATABASE_URL, AOE_STORE_SCHEMA: `${schema}_store` },
      home: home('store-url'),
    },
  ];
  const db = new Client({ connectionString: DATABASE_URL });
  await db.connect();
  await db.query(`CREATE SCHEMA "${schema}"`);
  try {
    // Each home's store (PGlite's initdb), then the code cache of an ingest of a CSV file into PostgreSQL,
    // then the PostgreSQL store's migrations.
    const warmUps: number[] = [];
    const events = join(ROOT, 'examples/events.csv');
    for (const [args, variant] of [
      ...variants.slice(0, 3).map((variant): [string[], Variant] => [['ingest', events, '--json'], variant]),
      [['ingest', events, '--into', `${DATABASE_URL}#${schema}.warm_up`, '--json'], variants[0]],
      [['runs', '--json'], variants[3]],
    ] as Array<[string[], Variant]>) {
      const warmUp = await aoe(args, variant.home, variant.env);
      if (warmUp.code !== 0) throw new Error(`the warm-up aoe ${args[0]} failed: ${warmUp.stdout}`);
      warmUps.push(warmUp.seconds);
    }

    const best: Array<AoeRun | undefined> = variants.map(() => undefined);
    let bestPsql = Infinity;
    let psqlFaults: number | undefined;
    for (let i = 1; i <= REPEAT; i++) {
      await db.query(
        `CREATE TABLE "${schema}".psql_${i} (id bigint, customer_id bigint, email text, amount numeric, quantity integer,
           status text, country text, created_at timestamptz, is_active boolean, note text)`,
      );
      await db.query('CHECKPOINT');
      const { seconds: psql, faults } = runPsql(csv, schema, `psql_${i}`);
      if (psql < bestPsql) psqlFaults = faults;
      bestPsql = Math.min(bestPsql, psql);
      const theirs = await tableDigest(db, schema, `psql_${i}`);
      const line = [`psql \\copy ${psql.toFixed(2)} s`];
      for (const [v, variant] of variants.entries()) {
        await db.query('CHECKPOINT');
        const table = `aoe_${v}_${i}`;
        const ours = await runAoe(csv, variant, schema, table);
        line.push(`aoe (${variant.short}) ${ours.seconds.toFixed(2)} s (the run ${ours.runSeconds.toFixed(2)} s)`);
        if (!best[v] || ours.seconds < best[v].seconds) best[v] = ours;
        const mine = await tableDigest(db, schema, table);
        if (mine.rows !== ROWS || theirs.rows !== ROWS || mine.md5 !== theirs.md5) {
          throw new Error(
            `the tables differ: aoe ${mine.rows} rows (md5 ${mine.md5}), psql ${theirs.rows} rows (md5 ${theirs.md5}), expected ${ROWS}`,
          );
        }
      }
      process.stdout.write(`  run ${i}: ${line.join(', ')}\n`);
    }
    // The re-ingest: psql's upserts into its first table, aoe's default into the table of its first round.
    await db.query(`ALTER TABLE "${schema}".psql_1 ADD PRIMARY KEY (id)`);
    const reingest = { psql: Infinity, psqlSkipping: Infinity, aoe: undefined as AoeRun | undefined };
    for (let i = 1; i <= REPEAT; i++) {
      await db.query('CHECKPOINT');
      const upsert = runPsqlUpsert(csv, schema, 'psql_1', false);
      await db.query('CHECKPOINT');
      const skipping = runPsqlUpsert(csv, schema, 'psql_1', true);
      reingest.psql = Math.min(reingest.psql, upsert);
      reingest.psqlSkipping = Math.min(reingest.psqlSkipping, skipping);
      await db.query('CHECKPOINT');
      const ours = await runAoe(csv, variants[0], schema, 'aoe_0_1');
      if (!reingest.aoe || ours.seconds < reingest.aoe.seconds) reingest.aoe = ours;
      const [mine, theirs] = [await tableDigest(db, schema, 'aoe_0_1'), await tableDigest(db, schema, 'psql_1')];
      if (mine.rows !== ROWS || mine.md5 !== theirs.md5) {
        throw new Error(`after the re-ingest the tables differ: aoe ${mine.rows} rows, psql ${theirs.rows}`);
      }
      process.stdout.write(
        `  re-ingest ${i}: psql upsert ${upsert.toFixed(2)} s, skipping unchanged ${skipping.toFixed(2)} s, aoe (default) ${ours.seconds.toFixed(2)} s (the run ${ours.runSeconds.toFixed(2)} s)\n`,
      );
    }
    const plan = JSON.parse(
      (await aoe(['decisions', best[0]!.summary.runId, '--json'], variants[0].home)).stdout,
    ) as Array<{
      agent: string;
      choice: unknown;
    }>;
    const report = [
      `ingest-csv: ${count(ROWS)} rows x 10 columns into PostgreSQL (load average ${load.toFixed(1)} at start; warm-ups ${warmUps.map((w) => `${w.toFixed(1)} s`).join(', ')}, not counted)`,
      `machine: first touch of fresh memory ${firstTouch.toFixed(2)} µs per 4 KiB page (${((firstTouch * 25_600) / 1000).toFixed(0)} ms per 100 MB; moves aoe's figures, not psql's: see loadtest/support/machine.ts)`,
      `psql \\copy: ${bestPsql.toFixed(2)} s, ${count(ROWS / bestPsql)} rows/s${psqlFaults === undefined ? '' : `; page faults of the psql process: ${count(psqlFaults)}`}`,
    ];
    for (const [v, variant] of variants.entries()) {
      const ours = best[v]!;
      report.push(
        `aoe ingest, ${variant.label} (start-up, analysis, planning, load): ${ours.seconds.toFixed(2)} s, ${count(ROWS / ours.seconds)} rows/s (same rows and values as psql's table, by md5)`,
        `  of which the run (extract → transform → validate → load): ${ours.runSeconds.toFixed(2)} s; start-up, analysis and planning: ${(ours.seconds - ours.runSeconds).toFixed(2)} s`,
        `  ratio psql/aoe (aoe's throughput relative to psql): ${(bestPsql / ours.seconds).toFixed(2)} (target >= 0.70); the load alone: ${(bestPsql / ours.runSeconds).toFixed(2)}`,
      );
      if (ours.faults !== undefined) {
        report.push(
          `  page faults of the aoe process: ${count(ours.faults)} (~${((ours.faults * firstTouch) / 1e6).toFixed(2)} s of first touches at this machine's cost, spread over its threads)`,
        );
      }
    }
    const again = reingest.aoe!;
    report.push(
      `re-ingest of the same file into the table the first load made (aoe: the planner's merge on id; best of ${REPEAT}):`,
      `  psql \\copy into a temporary table + INSERT … ON CONFLICT DO UPDATE: ${reingest.psql.toFixed(2)} s; the same leaving equal rows alone: ${reingest.psqlSkipping.toFixed(2)} s`,
      `  aoe ingest (default): ${again.seconds.toFixed(2)} s (the run ${again.runSeconds.toFixed(2)} s; ${count(again.summary.rowsLoaded)} rows merged, same values as psql's table, by md5)`,
      `  ratio psql/aoe: ${(reingest.psql / again.seconds).toFixed(2)} against the upsert, ${(reingest.psqlSkipping / again.seconds).toFixed(2)} against the one leaving equal rows alone`,
    );
    report.push(`agents decided: ${plan.map((d) => d.agent).join(', ')} (aoe decisions ${best[0]!.summary.runId})`);
    process.stdout.write(`${report.join('\n')}\n`);
  } finally {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.query(`DROP SCHEMA IF EXISTS "${schema}_store" CASCADE`);
    await db.end();
    for (const variant of variants) {
      await aoe(['store', 'stop'], variant.home, variant.env);
      rmSync(variant.home, { recursive: true, force: true });
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`ingest-csv failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
