import type { LoadMode } from '@aoe/contracts';
import { FileSource, PostgresSink, PostgresSource, type FaultSpec } from '@aoe/connectors';
import {
  engineFault,
  InMemoryQuarantineSink,
  runTask,
  type EngineFaultSpec,
  type EngineTaskSpec,
  type RunTaskOptions,
} from '../src';
import { ordersCsv, PgFixture, q } from './pg-helpers';

/**
 * The pass-through fast path (source bytes straight into COPY … FROM STDIN):
 * taken when eligible, gives exactly what the row path gives, falls back to
 * the row path (quarantine with line numbers included) when the data cannot
 * go through verbatim, and stays exactly-once across crashes at every point.
 */

const pg = new PgFixture();

beforeAll(async () => {
  await pg.setup('aoe_engine_pt');
});

afterAll(async () => {
  await pg.teardown();
});

function sink(table: string, faults?: FaultSpec): PostgresSink {
  return pg.sink(table, faults);
}

function plan(mode: LoadMode = 'append', stages: EngineTaskSpec['stages'] = []): EngineTaskSpec {
  return {
    pipelineId: 'pt',
    extract: { mode: 'full' },
    stages,
    load: { mode, ...(mode === 'merge' ? { primaryKey: ['id'] } : {}) },
    batchSize: 100,
  };
}

async function loadCsv(
  table: string,
  path: string,
  extra: Partial<RunTaskOptions> & { sinkFault?: FaultSpec; mode?: LoadMode; sampleRows?: number } = {},
) {
  const { sinkFault, mode, sampleRows, ...rest } = extra;
  return runTask({
    runId: `run-${table}`,
    taskId: 'load',
    source: new FileSource({ kind: 'file', path, format: 'csv' }, sampleRows ? { sampleRows } : {}),
    sink: sink(table, sinkFault),
    plan: plan(mode),
    ...rest,
  });
}

/** Every row as text, in a stable order: what "the same table" means. */
async function digest(table: string, orderBy: string): Promise<{ count: number; md5: string | null }> {
  const [row] = await pg.query<{ count: string; md5: string | null }>(
    `SELECT count(*)::text AS count, md5(string_agg(t::text, '|' ORDER BY t.${q(orderBy)})) AS md5 FROM ${pg.table(table)} t`,
  );
  return { count: Number(row.count), md5: row.md5 };
}

const HOSTILE = 'we"ird; DROP TABLE x; --';

/** BOM, CRLF, quoted delimiters, quotes and line breaks, NULL vs '', Unicode, a hostile column name. */
function trickyCsv(): string {
  const header = `id,"${HOSTILE.replace(/"/g, '""')}",note,amount,at`;
  const lines = [header];
  for (let i = 1; i <= 300; i++) {
    const note =
      i % 7 === 0 ? `"multi\r\nline, with ""quotes"""` : i % 5 === 0 ? '""' : i % 3 === 0 ? '' : `plain ${i} é ✓`;
    lines.push(`${i},v${i},${note},${i % 4 === 0 ? '' : (i / 8).toFixed(3)},2024-03-0${1 + (i % 9)}T12:00:0${i % 10}Z`);
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

describe('CSV → PostgreSQL', () => {
  it('takes the pass-through path when eligible and loads exactly what the row path loads', async () => {
    const path = await pg.writeFile('tricky.csv', trickyCsv());
    const fast = await loadCsv('csv_fast', path);
    const slow = await loadCsv('csv_slow', path, { passThrough: false });
    expect(fast.status).toBe('succeeded');
    expect(slow.status).toBe('succeeded');
    expect(fast.path).toEqual({ kind: 'pass-through' });
    expect(slow.path).toEqual({ kind: 'rows' });
    expect(fast.metrics.rowsRead).toBe(300);
    expect(fast.metrics.rowsLoaded).toBe(300);
    expect(fast.checkpoint).toEqual(slow.checkpoint);
    expect(await digest('csv_fast', 'id')).toEqual(await digest('csv_slow', 'id'));
    const [row] = await pg.query<{ note: string | null; weird: string }>(
      `SELECT note, ${q(HOSTILE)} AS weird FROM ${pg.table('csv_fast')} WHERE id = 7`,
    );
    expect(row).toEqual({ note: 'multi\r\nline, with "quotes"', weird: 'v7' });
    const nulls = await pg.query<{ id: number; note: string | null }>(
      `SELECT id, note FROM ${pg.table('csv_fast')} WHERE id IN (3, 5) ORDER BY id`,
    );
    expect(nulls).toEqual([
      { id: 3, note: null },
      { id: 5, note: '' },
    ]);
    // A rerun of the same run writes nothing.
    const again = await loadCsv('csv_fast', path);
    expect(again.write).toMatchObject({ alreadyCommitted: true });
    expect(await digest('csv_fast', 'id')).toEqual(await digest('csv_slow', 'id'));
  });

  it('falls back to the row path for a ragged CSV: bad rows quarantined with their line numbers', async () => {
    const text = ordersCsv(50).split('\n');
    text[4] = `${text[4]},extra`; // line 5: record id 4
    text[10] = '10,Customer 10'; // line 11: record id 10
    const path = await pg.writeFile('ragged.csv', text.join('\n'));
    const quarantine = new InMemoryQuarantineSink();
    const result = await runTask({
      runId: 'ragged',
      taskId: 'load',
      source: new FileSource({ kind: 'file', path, format: 'csv' }),
      sink: sink('ragged'),
      plan: plan('append', [
        { kind: 'validate', rules: [{ rule: 'not-null', column: 'email' }], onFailure: 'quarantine' },
      ]),
      quarantine,
    });
    expect(result.status).toBe('succeeded');
    expect(result.path?.kind).toBe('rows');
    expect(result.path?.fallbackReason).toMatch(/fields, expected 6/);
    expect(quarantine.records.map((r) => r.position)).toEqual(['ragged.csv:5', 'ragged.csv:11']);
    expect((await digest('ragged', 'id')).count).toBe(48);
  });

  it('falls back when a not-null column holds a NULL, so the rule quarantines it', async () => {
    const text = ordersCsv(20).split('\n');
    text[3] = text[3].replace('user3@example.com', '');
    const path = await pg.writeFile('nullmail.csv', text.join('\n'));
    const quarantine = new InMemoryQuarantineSink();
    const result = await runTask({
      runId: 'nullmail',
      taskId: 'load',
      source: new FileSource({ kind: 'file', path, format: 'csv' }),
      sink: sink('nullmail'),
      plan: plan('append', [
        { kind: 'validate', rules: [{ rule: 'not-null', column: 'email' }], onFailure: 'quarantine' },
      ]),
      quarantine,
    });
    expect(result.status).toBe('succeeded');
    expect(result.path?.fallbackReason).toMatch(/NULL in not-null column 3/);
    expect(quarantine.records.map((r) => r.position)).toEqual(['nullmail.csv:4']);
    expect((await digest('nullmail', 'id')).count).toBe(19);
  });

  it('with a not-null rule and no NULL, stays on the pass-through path', async () => {
    const path = await pg.writeFile('clean.csv', ordersCsv(30));
    const result = await runTask({
      runId: 'clean',
      taskId: 'load',
      source: new FileSource({ kind: 'file', path, format: 'csv' }),
      sink: sink('clean'),
      plan: plan('append', [
        { kind: 'validate', rules: [{ rule: 'not-null', column: 'email' }], onFailure: 'quarantine' },
      ]),
      quarantine: new InMemoryQuarantineSink(),
    });
    expect(result.path).toEqual({ kind: 'pass-through' });
    expect((await digest('clean', 'id')).count).toBe(30);
  });

  it('falls back on a quote inside an unquoted field, and loads what the row path reads', async () => {
    const path = await pg.writeFile('quote.csv', 'id,name,other\n1,a"b,c"d\n2,x,y\n');
    const fast = await loadCsv('quote_fast', path);
    const slow = await loadCsv('quote_slow', path, { passThrough: false });
    expect([fast.status, slow.status]).toEqual(['succeeded', 'succeeded']);
    expect(fast.path?.fallbackReason).toMatch(/quote inside an unquoted field/);
    expect(await digest('quote_fast', 'id')).toEqual(await digest('quote_slow', 'id'));
    const [row] = await pg.query<{ name: string }>(`SELECT name FROM ${pg.table('quote_fast')} WHERE id = 1`);
    expect(row.name).toBe('a"b');
  });

  it('falls back when the server rejects a value, and nothing is committed', async () => {
    const lines = ['id,name'];
    for (let i = 1; i <= 20; i++) lines.push(`${i === 15 ? 'x15' : i},n${i}`);
    const path = await pg.writeFile('badint.csv', `${lines.join('\n')}\n`);
    // Types are inferred from the first 5 rows: id is an integer, and row 15 is not.
    const result = await loadCsv('badint', path, { sampleRows: 5 });
    expect(result.status).toBe('failed');
    expect(result.path?.fallbackReason).toMatch(/22P02/);
    expect(result.error?.class).toBe('data-quality');
    expect(await pg.tableExists('badint')).toBe(false);
  });

  it('uses the row path when a stage needs values', async () => {
    const path = await pg.writeFile('cast.csv', ordersCsv(10));
    const result = await runTask({
      runId: 'cast',
      taskId: 'load',
      source: new FileSource({ kind: 'file', path, format: 'csv' }),
      sink: sink('cast'),
      plan: plan('append', [{ kind: 'transform', operations: [{ op: 'filter', expr: 'amount > 1' }] }]),
    });
    // A cast alone would run set-based (set-based.test.ts); a filter needs the row path.
    expect(result.path).toEqual({ kind: 'rows', notSetBased: 'the filter operation runs on rows' });
  });
});

type Fault = { engine: EngineFaultSpec } | { sink: FaultSpec };

const FAULTS: Array<[string, Fault]> = [
  ['engine before-load', { engine: { at: 'before-load' } }],
  ['engine after-extract-batch 1', { engine: { at: 'after-extract-batch', batch: 1 } }],
  ['engine mid-load 1', { engine: { at: 'mid-load', batch: 1 } }],
  ['engine after-load', { engine: { at: 'after-load' } }],
  ['sink before-copy', { sink: { at: 'before-copy', action: 'throw' } }],
  ['sink mid-copy, connection killed', { sink: { at: 'mid-copy', afterRows: 400, action: 'kill-connection' } }],
  ['sink before-commit, connection killed', { sink: { at: 'before-commit', action: 'kill-connection' } }],
  ['sink after-commit', { sink: { at: 'after-commit', action: 'throw' } }],
];

describe.each<LoadMode>(['append', 'merge', 'replace'])(
  'pass-through %s: crash, then rerun with the same runId',
  (mode) => {
    let seedCsv: string;
    let runCsv: string;
    const clean = `ptc_${mode}`;

    async function load(table: string, csv: string, runId: string, fault?: Fault) {
      return runTask({
        runId,
        taskId: 'load',
        source: new FileSource({ kind: 'file', path: csv, format: 'csv' }),
        sink: sink(table, fault && 'sink' in fault ? fault.sink : undefined),
        plan: plan(mode),
        faults: fault && 'engine' in fault ? engineFault(fault.engine) : undefined,
      });
    }

    beforeAll(async () => {
      seedCsv = await pg.writeFile(`seed-${mode}.csv`, ordersCsv(1000));
      runCsv = await pg.writeFile(`run-${mode}.csv`, ordersCsv(1500, 501, { tag: ' v2' }));
      expect((await load(clean, seedCsv, `seed-${mode}`)).path).toEqual({ kind: 'pass-through' });
      expect((await load(clean, runCsv, `run-${mode}`)).path).toEqual({ kind: 'pass-through' });
      const expected = { append: 2500, merge: 2000, replace: 1500 };
      expect((await digest(clean, 'id')).count).toBe(expected[mode]);
    });

    it.each(FAULTS)('%s', async (name, fault) => {
      const table = `pt_${mode}_${name.replace(/[^a-z0-9]+/gi, '_')}`.slice(0, 60);
      const runId = `run-${mode}`;
      expect((await load(table, seedCsv, `seed-${mode}`)).status).toBe('succeeded');
      const seeded = await digest(table, 'id');

      const crashed = await load(table, runCsv, runId, fault);
      expect(crashed.status).toBe('failed');
      expect(crashed.error?.retryable).toBe(true);
      expect(crashed.path?.fallbackReason).toBeUndefined();
      const afterCrash = await digest(table, 'id');
      if (/after-commit|after-load/.test(name)) expect(afterCrash).toEqual(await digest(clean, 'id'));
      else expect(afterCrash).toEqual(seeded);

      const rerun = await load(table, runCsv, runId);
      expect(rerun.status).toBe('succeeded');
      expect(rerun.path?.kind).toBe('pass-through');
      expect(await digest(table, 'id')).toEqual(await digest(clean, 'id'));
      const again = await load(table, runCsv, runId);
      expect(again.write).toMatchObject({ alreadyCommitted: true });
      expect(await digest(table, 'id')).toEqual(await digest(clean, 'id'));
    });
  },
);

describe('PostgreSQL → PostgreSQL', () => {
  const src = 'pt_src';

  beforeAll(async () => {
    await pg.query(
      `CREATE TABLE ${pg.table(src)} (
         id int PRIMARY KEY, ${q(HOSTILE)} text, n numeric(12,3), f double precision, b boolean,
         ts timestamptz, tsl timestamp, d date, bin bytea, big bigint)`,
    );
    await pg.query(
      `INSERT INTO ${pg.table(src)}
       SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE E'tab\\there\\nnew\\\\line ' || g END, g / 7.0, g / 3.0, g % 2 = 0,
              timestamptz '2024-01-01 00:00:00.123456+00' + g * interval '1 second', timestamp '2024-01-01' + g * interval '1 ms',
              date '2024-01-01' + g, decode(lpad(to_hex(g), 8, '0'), 'hex'), g::bigint * 10000000000
         FROM generate_series(1, 2000) g`,
    );
  });

  function source(): PostgresSource {
    return new PostgresSource({ connection: { url: pg.url }, table: { schema: pg.schema, name: src } });
  }

  async function copyTable(table: string, extra: Partial<RunTaskOptions> & { sinkFault?: FaultSpec } = {}) {
    const { sinkFault, ...rest } = extra;
    return runTask({
      runId: `run-${table}`,
      taskId: 'load',
      source: source(),
      sink: sink(table, sinkFault),
      plan: plan('append'),
      ...rest,
    });
  }

  it('streams COPY text through undecoded and loads exactly what the row path loads', async () => {
    const fast = await copyTable('pg_fast');
    const slow = await copyTable('pg_slow', { passThrough: false });
    expect(fast.path).toEqual({ kind: 'pass-through' });
    expect(slow.path).toEqual({ kind: 'rows' });
    expect(fast.metrics.rowsLoaded).toBe(2000);
    expect(await digest('pg_fast', 'id')).toEqual(await digest('pg_slow', 'id'));
    expect(await digest('pg_fast', 'id')).toEqual(await digest(src, 'id'));
  });

  it('a connection killed mid-COPY commits nothing; the rerun loads every row once', async () => {
    const crashed = await copyTable('pg_killed', {
      sinkFault: { at: 'mid-copy', afterRows: 1, action: 'kill-connection' },
    });
    expect(crashed.status).toBe('failed');
    expect(crashed.error?.retryable).toBe(true);
    expect(await pg.tableExists('pg_killed')).toBe(false);
    const rerun = await copyTable('pg_killed');
    expect(rerun.path).toEqual({ kind: 'pass-through' });
    expect(await digest('pg_killed', 'id')).toEqual(await digest(src, 'id'));
  });

  it('falls back when an existing target column has another type than the data', async () => {
    await pg.query(`CREATE TABLE ${pg.table('pg_text_ts')} (id int, ts text)`);
    const fast = await copyTable('pg_text_ts');
    expect(fast.status).toBe('succeeded');
    expect(fast.path?.fallbackReason).toMatch(/column "ts" is string in the target but timestamptz in the data/);
  });
});
