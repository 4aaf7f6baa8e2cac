import type { LoadMode } from '@aoe/contracts';
import { FileSource, type FaultSpec, type PostgresSinkOptions } from '@aoe/connectors';
import { InMemoryQuarantineSink, runTask, type EngineTaskSpec } from '../src';
import { keyedCsvPlan, PgFixture } from './pg-helpers';

/**
 * The typed COPY (the set-based path into a table that does not exist yet:
 * parallel COPY sessions straight into the typed table, keys proved by the
 * primary key or a unique index, the table renamed into place; or a merge
 * into a table that exists with the load's columns: the same into a typed
 * staging table, then an upsert of what changed): the same rows, metrics and
 * table as the staged path and the row path; anything in doubt hands the load
 * to the staged path with nothing left behind.
 */

const pg = new PgFixture();

beforeAll(async () => {
  await pg.setup('aoe_engine_typed');
});

afterAll(async () => {
  await pg.teardown();
});

function plan(options: { mode?: LoadMode; dedupe?: boolean } = {}): EngineTaskSpec {
  return keyedCsvPlan({
    pipelineId: 'typed',
    casts: [
      ['id', 'integer'],
      ['big', 'bigint'],
      ['amount', 'number'],
      ['price', 'decimal'],
      ['active', 'boolean'],
      ['day', 'date'],
      ['at', 'timestamptz'],
      ['local', 'timestamp'],
    ],
    ...options,
    maxRows: 100_000,
    batchSize: 500,
  });
}

const HOSTILE = 'we"ird; DROP TABLE x; --';

/** Clean rows of every cast type, text with quotes, commas and line ends; ~600 KB, so the reader hands over many chunks. */
function cleanCsv(rows: number, change: (i: number, fields: string[]) => void = () => undefined): string {
  const lines = [`id,big,email,amount,price,active,day,at,local,note,"${HOSTILE.replace(/"/g, '""')}"`];
  for (let i = 1; i <= rows; i++) {
    const fields = [
      String(i),
      String(9_000_000_000 + i),
      `user${i}@example.com`,
      (i / 8).toFixed(3),
      `${i}.${String(i % 100).padStart(2, '0')}`,
      ['true', 'f', 'YES', 'off'][i % 4],
      `2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
      i % 3 === 0 ? `2024-03-01T10:00:${String(i % 60).padStart(2, '0')}.123+02:00` : `2024-03-01 10:00:00`,
      `2024-03-01T08:${String(i % 60).padStart(2, '0')}:00Z`,
      i % 5 === 0 ? `"line one\nline ""two"", with a comma ${i}"` : `plain note ${i}`,
    ];
    fields.push(`h${i}`);
    change(i, fields);
    lines.push(fields.join(','));
  }
  return `${lines.join('\n')}\n`;
}

async function load(
  table: string,
  path: string,
  spec: EngineTaskSpec,
  options: { sink?: PostgresSinkOptions; faults?: FaultSpec; runId?: string; passThrough?: boolean } = {},
) {
  const quarantine = new InMemoryQuarantineSink();
  const result = await runTask({
    runId: options.runId ?? `run-${table}`,
    taskId: 'load',
    source: new FileSource({ kind: 'file', path, format: 'csv' }),
    sink: pg.sink(table, options.faults, options.sink),
    plan: spec,
    quarantine,
    ...(options.passThrough === false ? { passThrough: false } : {}),
  });
  return { result, quarantined: quarantine.records.map((r) => ({ position: r.position, reason: r.reason })) };
}

const metricsOf = (m: { rowsRead: number; rowsLoaded: number; rowsToLoad: number; rowsQuarantined: number }) => ({
  rowsRead: m.rowsRead,
  rowsLoaded: m.rowsLoaded,
  rowsToLoad: m.rowsToLoad,
  rowsQuarantined: m.rowsQuarantined,
});

/** Tables and indexes the load made on the side (staging, dedupe proof). */
async function leftovers(): Promise<string[]> {
  const rows = await pg.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND (c.relname LIKE '\\_aoe\\_stage%' OR c.relname LIKE '\\_aoe\\_dedup%' OR c.relname LIKE '\\_aoe\\_pkey%')`,
    [pg.schema],
  );
  return rows.map((r) => r.relname);
}

async function constraintsOf(table: string): Promise<string[]> {
  const rows = await pg.query<{ def: string }>(
    `SELECT conname || ' ' || pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY 1`,
    [pg.table(table)],
  );
  return rows.map((r) => r.def.replace(table, '<table>'));
}

/** Each column's name, type and NOT NULL, in order. */
async function columnsOf(table: string): Promise<string[]> {
  const rows = await pg.query<{ def: string }>(
    `SELECT attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' ELSE '' END AS def
       FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [pg.table(table)],
  );
  return rows.map((r) => r.def);
}

describe('typed COPY into a new table', () => {
  it('loads a clean keyed CSV over parallel sessions with the staged and the row path’s rows, key and metrics', async () => {
    const path = await pg.writeFile('clean.csv', cleanCsv(6_000));
    const typed = await load('clean_typed', path, plan(), { sink: { copyStreams: 3 } });
    const staged = await load('clean_staged', path, plan(), { sink: { typedCopy: false } });
    const rows = await load('clean_rows', path, plan(), { passThrough: false });

    expect(typed.result.error).toBeUndefined();
    expect(typed.result.path).toEqual({ kind: 'set-based', typedCopy: true });
    expect(staged.result.path).toEqual({ kind: 'set-based' });
    const digest = await pg.checksum('clean_typed');
    expect(digest.count).toBe(6_000);
    expect(await pg.checksum('clean_staged')).toEqual(digest);
    expect(await pg.checksum('clean_rows')).toEqual(digest);
    expect(metricsOf(typed.result.metrics)).toEqual(metricsOf(rows.result.metrics));
    expect(typed.result.checkpoint).toEqual(staged.result.checkpoint);
    expect(await constraintsOf('clean_typed')).toEqual(await constraintsOf('clean_staged'));
    expect(await constraintsOf('clean_typed')).toEqual(['<table>_pkey PRIMARY KEY (id)']);
    // The key column is NOT NULL from the start in the typed COPY's table: the same table as the staged path's.
    expect(await columnsOf('clean_typed')).toEqual(await columnsOf('clean_staged'));
    expect((await columnsOf('clean_typed'))[0]).toBe('id integer not null');
    expect(await leftovers()).toEqual([]);
    const [ledger] = await pg.query<{ rows: string }>(
      `SELECT rows::text FROM ${pg.table('_aoe_loads')} WHERE run_id = 'run-clean_typed'`,
    );
    expect(ledger.rows).toBe('6000');
  });

  it('proves a dedupe key with a unique index it drops again (append: no key on the target)', async () => {
    const path = await pg.writeFile('append.csv', cleanCsv(1_500));
    const typed = await load('append_typed', path, plan({ mode: 'append' }));
    await load('append_rows', path, plan({ mode: 'append' }), { passThrough: false });
    expect(typed.result.path).toEqual({ kind: 'set-based', typedCopy: true });
    expect(await pg.checksum('append_typed')).toEqual(await pg.checksum('append_rows'));
    const indexes = await pg.query(`SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND tablename = 'append_typed'`, [
      pg.schema,
    ]);
    expect(indexes).toEqual([]);
    expect(await leftovers()).toEqual([]);
  });

  it('hands a duplicate key to the staged path, which keeps the first row', async () => {
    const path = await pg.writeFile(
      'dupes.csv',
      cleanCsv(3_000, (i, f) => i === 2_900 && (f[0] = '7')),
    );
    const typed = await load('dupes_typed', path, plan());
    const rows = await load('dupes_rows', path, plan(), { passThrough: false });
    expect(typed.result.path).toEqual({
      kind: 'set-based',
      typedCopyRefused: expect.stringMatching(/^the keys do not hold \(23505\)/),
    });
    expect(await pg.checksum('dupes_typed')).toEqual(await pg.checksum('dupes_rows'));
    expect(metricsOf(typed.result.metrics)).toEqual(metricsOf(rows.result.metrics));
    expect(typed.result.metrics.rowsDuplicate).toBe(1);
    expect(await leftovers()).toEqual([]);
  });

  it('hands a value in doubt to the staged path, which quarantines exactly as the row path', async () => {
    const path = await pg.writeFile(
      'doubt.csv',
      cleanCsv(3_000, (i, f) => {
        if (i === 2_500) f[3] = 'n/a';
        if (i === 2_600) f[3] = '-0';
      }),
    );
    const typed = await load('doubt_typed', path, plan());
    const rows = await load('doubt_rows', path, plan(), { passThrough: false });
    expect(typed.result.path).toEqual({
      kind: 'set-based',
      typedCopyRefused: 'record 2500 holds a value the typed COPY cannot vouch for',
    });
    expect(await pg.checksum('doubt_typed')).toEqual(await pg.checksum('doubt_rows'));
    expect(typed.quarantined).toEqual(rows.quarantined);
    expect(typed.quarantined).toHaveLength(1);
    expect(await leftovers()).toEqual([]);
  });

  it('two runs creating the same target at once: one renames its table into place, the other merges into it', async () => {
    const first = await pg.writeFile('race1.csv', cleanCsv(4_000));
    const second = await pg.writeFile(
      'race2.csv',
      cleanCsv(4_000, (i, f) => (f[9] = `second ${i}`)),
    );
    const [a, b] = await Promise.all([
      load('race', first, plan(), { runId: 'run-race-1' }),
      load('race', second, plan(), { runId: 'run-race-2' }),
    ]);
    expect([a.result.status, b.result.status]).toEqual(['succeeded', 'succeeded']);
    const paths = [a.result.path, b.result.path];
    expect(paths.filter((p) => p?.typedCopy)).toHaveLength(1);
    expect(paths.filter((p) => !p?.typedCopy)).toEqual([
      expect.objectContaining({ kind: 'set-based', typedCopyRefused: 'the target was created meanwhile' }),
    ]);
    // Merge on id: the run that published second (the refused one) wins every row.
    const secondWins = a.result.path?.typedCopy === true;
    const [fromSecond] = await pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${pg.table('race')} WHERE note LIKE 'second %'`,
    );
    expect(fromSecond.n).toBe(secondWins ? 4_000 : 0);
    expect((await pg.checksum('race')).count).toBe(4_000);
    expect(await leftovers()).toEqual([]);
  });

  it('leaves a target that exists with other columns to the staged path', async () => {
    await pg.query(`CREATE TABLE ${pg.table('existing')} (id integer PRIMARY KEY)`);
    const path = await pg.writeFile('existing.csv', cleanCsv(200));
    const { result } = await load('existing', path, plan());
    expect(result.status).toBe('succeeded');
    expect(result.path).toEqual({ kind: 'set-based' });
    expect((await pg.checksum('existing')).count).toBe(200);
  });

  it('a connection killed mid-COPY fails the load with nothing left; the retry loads it exactly once', async () => {
    const path = await pg.writeFile('killed.csv', cleanCsv(6_000));
    const killed = await load('killed', path, plan(), {
      runId: 'run-killed',
      faults: { at: 'mid-copy', afterRows: 1_000, action: 'kill-connection' },
    });
    expect(killed.result.status).toBe('failed');
    expect(killed.result.error?.retryable).toBe(true);
    expect(await pg.tableExists('killed')).toBe(false);
    // The killed session could not drop its table; the retry (same run and task) does.
    expect(await leftovers()).toEqual([expect.stringMatching(/^_aoe_stage_runkilled_load_/)]);

    const crashed = await load('killed', path, plan(), {
      runId: 'run-killed',
      faults: { at: 'before-commit', action: 'throw' },
    });
    expect(crashed.result.status).toBe('failed');
    expect(await pg.tableExists('killed')).toBe(false);

    for (let attempt = 0; attempt < 2; attempt++) {
      const retried = await load('killed', path, plan(), { runId: 'run-killed' });
      expect(retried.result.status).toBe('succeeded');
    }
    await load('killed_rows', path, plan(), { passThrough: false });
    expect(await pg.checksum('killed')).toEqual(await pg.checksum('killed_rows'));
    const ledger = await pg.query(`SELECT 1 FROM ${pg.table('_aoe_loads')} WHERE run_id = 'run-killed'`);
    expect(ledger).toHaveLength(1);
    expect(await leftovers()).toEqual([]);
  });
});

describe('typed COPY merging into a table that exists', () => {
  /** Each row's version (xmin), by id. */
  const versions = async (table: string) =>
    new Map(
      (await pg.query<{ id: number; v: string }>(`SELECT id, xmin::text AS v FROM ${pg.table(table)}`)).map((r) => [
        r.id,
        r.v,
      ]),
    );
  /** The second file: row 100's note and row 200's amount change, rows 3,001–3,010 are new. */
  const changedCsv = (change: (i: number, fields: string[]) => void = () => undefined) =>
    cleanCsv(3_010, (i, f) => {
      if (i === 100) f[9] = 'changed';
      if (i === 200) f[3] = '99.500';
      change(i, f);
    });

  it('merges a re-run by typed COPY: the row path’s rows and metrics, equal rows untouched, nothing left', async () => {
    const first = await pg.writeFile('remerge-1.csv', cleanCsv(3_000));
    const second = await pg.writeFile('remerge-2.csv', changedCsv());
    await load('remerge', first, plan());
    await load('remerge_rows', first, plan(), { passThrough: false });
    const before = await versions('remerge');

    const typed = await load('remerge', second, plan(), { runId: 'run-remerge-2' });
    const rows = await load('remerge_rows', second, plan(), { runId: 'run-remerge-rows-2', passThrough: false });
    expect(typed.result.error).toBeUndefined();
    expect(typed.result.path).toEqual({ kind: 'set-based', typedCopy: true });
    expect(await pg.checksum('remerge')).toEqual(await pg.checksum('remerge_rows'));
    expect(metricsOf(typed.result.metrics)).toEqual(metricsOf(rows.result.metrics));
    expect(typed.result.metrics.rowsLoaded).toBe(3_010);
    const after = await versions('remerge');
    const rewritten = [...after].filter(([id, v]) => before.get(id) !== v).map(([id]) => id);
    expect(rewritten.sort((a, b) => a - b)).toEqual([100, 200, ...Array.from({ length: 10 }, (_, i) => 3_001 + i)]);
    expect(await constraintsOf('remerge')).toEqual(['<table>_pkey PRIMARY KEY (id)']);
    expect(await leftovers()).toEqual([]);
    const [ledger] = await pg.query<{ rows: string }>(
      `SELECT rows::text FROM ${pg.table('_aoe_loads')} WHERE run_id = 'run-remerge-2'`,
    );
    expect(ledger.rows).toBe('3010');
  });

  it('hands a value in doubt to the staged path, and a crash before the commit changes nothing', async () => {
    const first = await pg.writeFile('remerge-doubt-1.csv', cleanCsv(3_000));
    await load('remerge_doubt', first, plan());
    await load('remerge_doubt_rows', first, plan(), { passThrough: false });
    const doubtful = await pg.writeFile(
      'remerge-doubt-2.csv',
      changedCsv((i, f) => i === 2_500 && (f[3] = 'n/a')),
    );
    const typed = await load('remerge_doubt', doubtful, plan(), { runId: 'run-remerge-doubt-2' });
    const rows = await load('remerge_doubt_rows', doubtful, plan(), {
      runId: 'run-remerge-doubt-rows-2',
      passThrough: false,
    });
    expect(typed.result.path).toEqual({
      kind: 'set-based',
      typedCopyRefused: 'record 2500 holds a value the typed COPY cannot vouch for',
    });
    expect(await pg.checksum('remerge_doubt')).toEqual(await pg.checksum('remerge_doubt_rows'));
    expect(typed.quarantined).toEqual(rows.quarantined);

    const clean = await pg.writeFile(
      'remerge-doubt-3.csv',
      changedCsv((i, f) => i === 7 && (f[9] = 'third')),
    );
    const unchanged = await pg.checksum('remerge_doubt');
    const crashed = await load('remerge_doubt', clean, plan(), {
      runId: 'run-remerge-doubt-3',
      faults: { at: 'before-commit', action: 'throw' },
    });
    expect(crashed.result.status).toBe('failed');
    expect(await pg.checksum('remerge_doubt')).toEqual(unchanged);
    for (let attempt = 0; attempt < 2; attempt++) {
      const retried = await load('remerge_doubt', clean, plan(), { runId: 'run-remerge-doubt-3' });
      expect(retried.result.status).toBe('succeeded');
    }
    await load('remerge_doubt_rows', clean, plan(), { runId: 'run-remerge-doubt-rows-3', passThrough: false });
    expect(await pg.checksum('remerge_doubt')).toEqual(await pg.checksum('remerge_doubt_rows'));
    expect(await pg.query(`SELECT note FROM ${pg.table('remerge_doubt')} WHERE id = 7`)).toEqual([{ note: 'third' }]);
    expect(await leftovers()).toEqual([]);
  });
});
