import type { LoadMode, LogicalType } from '@aoe/contracts';
import { fieldEncoder, FileSource, pgTypeFor, PostgresSink, sqlCastFor, type FaultSpec } from '@aoe/connectors';
import { InMemoryQuarantineSink, runTask, type EngineTaskSpec, type RunTaskOptions } from '../src';
import { castValue } from '../src/transforms/cast';
import { keyedCsvPlan, PgFixture, q } from './pg-helpers';

/**
 * The set-based path (raw text COPYed into staging; casts, dedupe, rules and
 * publish in SQL): taken for a keyed CSV plan, and exactly the row path's
 * result on the same input — rows, quarantine reasons and positions,
 * metrics — with merge's last-row-wins, atomic failure on a check, and a
 * retried load that writes nothing twice.
 */

const pg = new PgFixture();

beforeAll(async () => {
  await pg.setup('aoe_engine_sb');
});

afterAll(async () => {
  await pg.teardown();
});

const HOSTILE = 'we"ird; DROP TABLE x; --';

function sink(table: string, faults?: FaultSpec): PostgresSink {
  return pg.sink(table, faults);
}

/** The planner's shape for a keyed CSV (casts, dedupe on the key, key and e-mail rules, row count, merge). */
function keyedPlan(
  options: { mode?: LoadMode; dedupe?: boolean; onFailure?: 'fail' | 'quarantine'; minRows?: number } = {},
): EngineTaskSpec {
  return keyedCsvPlan({
    pipelineId: 'sb',
    casts: [
      ['id', 'integer'],
      ['amount', 'number'],
      ['price', 'decimal'],
      ['active', 'boolean'],
      ['day', 'date'],
      ['at', 'timestamptz'],
    ],
    ...options,
    maxRows: 10_000,
    batchSize: 50,
  });
}

const HEADER = `id,email,amount,price,active,day,at,"${HOSTILE.replace(/"/g, '""')}",note`;

/** Good rows, and every kind of row the SQL cannot vouch for: bad casts, bad rules, duplicates, non-ASCII. */
function mixedCsv(): string {
  const lines = [HEADER];
  for (let i = 1; i <= 200; i++) {
    const id = i % 50 === 0 ? String(i - 1) : String(i); // duplicate keys: the first one wins
    const email = i % 31 === 0 ? 'not-an-email' : i % 37 === 0 ? `jos${'é'}${i}@example.com` : `u${i}@example.com`;
    const amount = i % 23 === 0 ? 'n/a' : i % 29 === 0 ? '-0' : (i / 8).toFixed(3);
    const price = i % 41 === 0 ? '1e3x' : `${i}.50`;
    const active = i % 43 === 0 ? 'maybe' : i % 2 === 0 ? 'TRUE' : 'f';
    const day = i % 47 === 0 ? '2023-02-29' : i % 13 === 0 ? '' : `2024-02-${String(1 + (i % 29)).padStart(2, '0')}`;
    const at =
      i % 19 === 0 ? '2024-01-01T10:00:00.123456+05:30' : `2024-01-01 10:00:${String(i % 60).padStart(2, '0')}`;
    const note = i % 7 === 0 ? `"multi\nline, ""quoted"""` : `n${i}`;
    lines.push([i === 100 ? '' : id, email, amount, price, active, day, at, `v${i}`, note].join(','));
  }
  return `${lines.join('\n')}\n`;
}

async function load(table: string, path: string, spec: EngineTaskSpec, extra: Partial<RunTaskOptions> = {}) {
  const quarantine = new InMemoryQuarantineSink();
  const result = await runTask({
    runId: `run-${table}`,
    taskId: 'load',
    source: new FileSource({ kind: 'file', path, format: 'csv' }),
    sink: sink(table),
    plan: spec,
    quarantine,
    ...extra,
  });
  const quarantined = quarantine.records
    .map((r) => ({ position: r.position, reason: r.reason, row: r.row }))
    .sort((a, b) => a.position.localeCompare(b.position));
  return { result, quarantined };
}

async function digest(table: string): Promise<{ count: number; md5: string | null }> {
  return pg.checksum(table, 'id');
}

describe('set-based path, CSV → PostgreSQL', () => {
  it('loads, quarantines and counts exactly as the row path (merge, dedupe keeps the first)', async () => {
    const path = await pg.writeFile('mixed.csv', mixedCsv());
    const fast = await load('mixed_sql', path, keyedPlan());
    const slow = await load('mixed_rows', path, keyedPlan(), { passThrough: false });
    expect(fast.result.error).toBeUndefined();
    // A new target: the typed COPY stops at the first value in doubt and the staged path loads it.
    expect(fast.result.path).toEqual({
      kind: 'set-based',
      typedCopyRefused: expect.stringMatching(/^record \d+ holds a value the typed COPY cannot vouch for$/),
    });
    expect(slow.result.path).toEqual({ kind: 'rows' });
    expect(await digest('mixed_sql')).toEqual(await digest('mixed_rows'));
    expect(fast.quarantined).toEqual(slow.quarantined);
    expect(fast.quarantined.length).toBeGreaterThan(10);
    expect(fast.quarantined).toContainEqual(
      expect.objectContaining({
        reason: expect.stringMatching(/^transform #2 \(cast\): cannot cast "amount" to number/),
      }),
    );
    const pick = (m: typeof fast.result.metrics) => ({
      rowsRead: m.rowsRead,
      rowsLoaded: m.rowsLoaded,
      rowsToLoad: m.rowsToLoad,
      rowsQuarantined: m.rowsQuarantined,
      rowsDuplicate: m.rowsDuplicate,
    });
    expect(pick(fast.result.metrics)).toEqual(pick(slow.result.metrics));
    expect(fast.result.checkpoint).toEqual(slow.result.checkpoint);
    // Non-ASCII e-mails are judged by the engine and loaded; the hostile column is there, quoted.
    const [row] = await pg.query<{ email: string; weird: string }>(
      `SELECT email, ${q(HOSTILE)} AS weird FROM ${pg.table('mixed_sql')} WHERE id = 37`,
    );
    expect(row).toEqual({ email: 'josé37@example.com', weird: 'v37' });
  });

  it.each<LoadMode>(['append', 'replace'])('%s gives the row path’s rows', async (mode) => {
    const path = await pg.writeFile(`mixed-${mode}.csv`, mixedCsv());
    const fast = await load(`m_${mode}_sql`, path, keyedPlan({ mode }));
    const slow = await load(`m_${mode}_rows`, path, keyedPlan({ mode }), { passThrough: false });
    expect(fast.result.path?.kind).toBe('set-based');
    expect(await digest(`m_${mode}_sql`)).toEqual(await digest(`m_${mode}_rows`));
    expect(fast.quarantined).toEqual(slow.quarantined);
  });

  it('merge without dedupe: the last row of each key wins, then a new run updates', async () => {
    const first = [
      HEADER,
      '1,a@x.io,1,1,t,2024-01-01,2024-01-01,a,first',
      '2,b@x.io,2,2,t,2024-01-01,2024-01-01,b,x',
      '1,a@x.io,3,3,f,2024-01-02,2024-01-02,c,last',
    ];
    const path = await pg.writeFile('dupes.csv', `${first.join('\n')}\n`);
    const spec = keyedPlan({ dedupe: false });
    const fast = await load('keep_last_sql', path, spec);
    await load('keep_last_rows', path, spec, { passThrough: false });
    expect(fast.result.path?.kind).toBe('set-based');
    expect(await digest('keep_last_sql')).toEqual(await digest('keep_last_rows'));
    expect(await pg.query(`SELECT id, note, amount FROM ${pg.table('keep_last_sql')} ORDER BY id`)).toEqual([
      { id: 1, note: 'last', amount: 3 },
      { id: 2, note: 'x', amount: 2 },
    ]);
    const next = await pg.writeFile(
      'dupes2.csv',
      `${[HEADER, '2,b@x.io,9,9,t,2024-01-01,2024-01-01,b,updated'].join('\n')}\n`,
    );
    const again = await runTask({
      runId: 'run-keep-last-2',
      taskId: 'load',
      source: new FileSource({ kind: 'file', path: next, format: 'csv' }),
      sink: sink('keep_last_sql'),
      plan: spec,
      quarantine: new InMemoryQuarantineSink(),
    });
    expect(again.path?.kind).toBe('set-based');
    expect(await pg.query(`SELECT id, note FROM ${pg.table('keep_last_sql')} ORDER BY id`)).toEqual([
      { id: 1, note: 'last' },
      { id: 2, note: 'updated' },
    ]);
  });

  it('a merge re-run rewrites only the rows that changed, and counts as the row path does', async () => {
    const first = await pg.writeFile('rerun-1.csv', mixedCsv());
    // The second file: row 5's note and row 6's amount change, row 7's price keeps its value with another
    // scale (7.50 → 7.5: stored otherwise), row 500 is new. Row 29's amount goes from -0 to 0, which the
    // cast to number stores alike (as the row path does): no change. The rest is the same.
    const changed = mixedCsv()
      .replace(/^5,(.*),n5$/m, '5,$1,changed')
      .replace(/^6,u6@example\.com,0\.750,/m, '6,u6@example.com,0.751,')
      .replace(/^7,u7@example\.com,0\.875,7\.50,/m, '7,u7@example.com,0.875,7.5,')
      .replace(/^29,u29@example\.com,-0,/m, '29,u29@example.com,0,')
      .concat('500,u500@example.com,1,1.50,t,2024-02-01,2024-01-01 10:00:00,v500,new\n');
    const second = await pg.writeFile('rerun-2.csv', changed);
    const versions = async (table: string) =>
      new Map(
        (await pg.query<{ id: number; v: string }>(`SELECT id, xmin::text AS v FROM ${pg.table(table)}`)).map((r) => [
          r.id,
          r.v,
        ]),
      );
    const rerun = async (table: string, extra: Partial<RunTaskOptions> = {}) => {
      await load(table, first, keyedPlan(), extra);
      const before = await versions(table);
      const again = await runTask({
        runId: `run-${table}-2`,
        taskId: 'load',
        source: new FileSource({ kind: 'file', path: second, format: 'csv' }),
        sink: sink(table),
        plan: keyedPlan(),
        quarantine: new InMemoryQuarantineSink(),
        ...extra,
      });
      const after = await versions(table);
      const rewritten = [...after].filter(([id, v]) => before.get(id) !== v).map(([id]) => id);
      return { again, rewritten: rewritten.sort((a, b) => a - b), rows: after.size };
    };

    const fast = await rerun('rerun_sql');
    const slow = await rerun('rerun_rows', { passThrough: false });
    expect(fast.again.path?.kind).toBe('set-based');
    expect(await digest('rerun_sql')).toEqual(await digest('rerun_rows'));
    expect(fast.rewritten).toEqual([5, 6, 7, 500]);
    expect(slow.rewritten.length).toBe(slow.rows);
    expect(fast.again.metrics.rowsLoaded).toBe(slow.again.metrics.rowsLoaded);
    expect(fast.again.metrics.rowsToLoad).toBe(slow.again.metrics.rowsToLoad);
    expect(fast.again.metrics.rowsLoaded).toBe(fast.rows);

    // A column of a type the merge has no comparison for (here `name`): every row is merged again, as before.
    await pg.query(`CREATE TABLE ${pg.table('rerun_other')} (LIKE ${pg.table('rerun_sql')} INCLUDING ALL)`);
    await pg.query(`ALTER TABLE ${pg.table('rerun_other')} ALTER COLUMN note TYPE name`);
    const other = await rerun('rerun_other');
    expect(other.again.path?.kind).toBe('set-based');
    expect(await digest('rerun_other')).toEqual(await digest('rerun_sql'));
    expect(other.rewritten.length).toBe(other.rows);
  });

  it('a failing row-count check leaves nothing behind: no target, no staging, no ledger row', async () => {
    const path = await pg.writeFile('few.csv', mixedCsv());
    const { result } = await load('too_few', path, keyedPlan({ minRows: 5_000 }));
    expect(result.status).toBe('failed');
    expect(result.error?.class).toBe('data-quality');
    expect(result.error?.message).toMatch(/row-count: \d+ rows, expected at least 5000/);
    expect(await pg.tableExists('too_few')).toBe(false);
    const leftovers = await pg.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '%stg%'`,
      [pg.schema],
    );
    expect(leftovers[0].n).toBe('0');
    const loads = await pg.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${pg.table('_aoe_loads')} WHERE run_id = 'run-too_few'`,
    );
    expect(loads[0].n).toBe('0');
  });

  it('a bad cast with onFailure fail fails the load, nothing loaded', async () => {
    const path = await pg.writeFile('strict.csv', mixedCsv());
    const { result } = await load('strict', path, keyedPlan({ onFailure: 'fail' }));
    expect(result.status).toBe('failed');
    expect(result.error?.class).toBe('data-quality');
    expect(await pg.tableExists('strict')).toBe(false);
  });

  it('a value only the row path converts sends the task there, with the same result', async () => {
    const rows = [HEADER, '1,a@x.io, 12 ,1,t,2024-01-01,2024-01-01,a,x', '2,b@x.io,2,2,t,2024-01-01,2024-01-01,b,y'];
    const path = await pg.writeFile('loose.csv', `${rows.join('\n')}\n`);
    const fast = await load('loose_sql', path, keyedPlan());
    await load('loose_rows', path, keyedPlan(), { passThrough: false });
    expect(fast.result.path).toEqual({
      kind: 'rows',
      fallbackReason: expect.stringMatching(/loose\.csv:2: a value converts/),
    });
    expect(await digest('loose_sql')).toEqual(await digest('loose_rows'));
  });

  it('a retried load (same run id) writes nothing twice, also after a crash before the commit', async () => {
    const path = await pg.writeFile('retry.csv', mixedCsv());
    const clean = await load('retry_clean', path, keyedPlan({ mode: 'append' }));
    const crashed = await runTask({
      runId: 'run-retry',
      taskId: 'load',
      source: new FileSource({ kind: 'file', path, format: 'csv' }),
      sink: sink('retry', { at: 'before-commit', action: 'throw' }),
      plan: keyedPlan({ mode: 'append' }),
      quarantine: new InMemoryQuarantineSink(),
    });
    expect(crashed.status).toBe('failed');
    for (let i = 0; i < 2; i++) {
      const rerun = await runTask({
        runId: 'run-retry',
        taskId: 'load',
        source: new FileSource({ kind: 'file', path, format: 'csv' }),
        sink: sink('retry'),
        plan: keyedPlan({ mode: 'append' }),
        quarantine: new InMemoryQuarantineSink(),
      });
      expect(rerun.status).toBe('succeeded');
      expect(rerun.path?.kind).toBe('set-based');
    }
    expect(await digest('retry')).toEqual(await digest('retry_clean'));
    expect(clean.result.path?.kind).toBe('set-based');
  });
});

/** For each type, every text the guard accepts is one `castValue` accepts, and SQL stores it as the row path does. */
describe('SQL casts agree with castValue', () => {
  const samples: Record<string, string[]> = {
    integer: [
      '0',
      '-0',
      '+7',
      '007',
      '2147483647',
      '2147483648',
      '-2147483648',
      '12.0',
      '1e3',
      ' 1',
      '',
      'x',
      '99999999999999999999',
    ],
    bigint: ['9007199254740993', '-9223372036854775808', '9223372036854775807', '1.5'],
    number: ['0', '-0', '-0.0', '1.5', '.5', '5.', '123456789012345678901234567890', '1e5', 'NaN', 'Infinity', '0.1'],
    decimal: ['1.50', '+1.5', '-0.0', '00012.3400', '1e2', '.5'],
    boolean: ['true', 'TRUE', 'f', 'Yes', 'on', 'OFF', '1', '0', ' true', 'tru', 'maybe'],
    date: ['2024-02-29', '2023-02-29', '2023-02-28', '0000-01-01', '2024-13-01', '2024-04-31', '2024-1-01'],
    timestamp: [
      '2024-01-01',
      '2024-01-01T10:00:00',
      '2024-01-01 10:00:00.123456',
      '2024-01-01T10:00:00Z',
      '2024-01-01T10:00:00+05:30',
      '2024-01-01T10:00:00-0800',
      '2024-02-30T00:00:00',
      '2024-01-01T24:00:00',
    ],
    timestamptz: [
      '2024-01-01',
      '2024-01-01T10:00:00.9999',
      '2024-06-30T23:59:59+14',
      '1969-12-31T23:59:59.999999Z',
      '2024-01-01T10:00',
    ],
  };

  beforeAll(async () => {
    // As the publishing transaction sets it (SET LOCAL): offset-less timestamps are UTC.
    await pg.query(`SET TimeZone = 'UTC'`);
  });

  it.each(Object.entries(samples))('%s', async (type, values) => {
    const logical = type as LogicalType;
    const cast = sqlCastFor(logical)!;
    for (const value of values) {
      if (!cast.accepts(value)) continue;
      const [row] = await pg.query<{ sql: string }>(`SELECT (${cast.convert('$1::text')})::text AS sql`, [value]);
      const js = fieldEncoder(logical)(castValue(value, logical));
      const [stored] = await pg.query<{ text: string }>(`SELECT ($1::text::${pgTypeFor(logical)})::text AS text`, [js]);
      expect({ value, sql: row.sql }).toEqual({ value, sql: stored.text });
    }
  });
});
