import type { LoadMode } from '@aoe/contracts';
import { FileSource, injectFault, PostgresSink, PostgresSource, type FaultSpec } from '@aoe/connectors';
import { Pool } from 'pg';
import {
  engineFault,
  PostgresQuarantineSink,
  runTask,
  targetCheckpointReader,
  type EngineFaultSpec,
  type EngineTaskSpec,
} from '../src';
import { ordersCsv, PgFixture } from './pg-helpers';

/**
 * A task that crashes anywhere (in the engine before, during or after the
 * load, or inside the sink's COPY and publishing transaction) and is run
 * again with the same runId leaves the target exactly as one successful run
 * would: same row count, same checksum, same checkpoint, no duplicate
 * quarantine records.
 */

const pg = new PgFixture();
let pool: Pool;
let seedCsv: string;
let runCsv: string;
const BAD = [513, 1404];

beforeAll(async () => {
  await pg.setup('aoe_engine_idem');
  pool = new Pool({ connectionString: pg.url, max: 2 });
  seedCsv = await pg.writeFile('seed.csv', ordersCsv(1000));
  // Overlaps the seed (ids 501..1000) with new values, so merge has something to update.
  runCsv = await pg.writeFile('run.csv', ordersCsv(1500, 501, { bad: BAD, tag: ' v2' }));
});

afterAll(async () => {
  await pool.end();
  await pg.teardown();
});

type Fault = { engine: EngineFaultSpec } | { sink: FaultSpec };

const FAULTS: Array<[string, Fault]> = [
  ['engine after-extract-batch 3', { engine: { at: 'after-extract-batch', batch: 3 } }],
  ['engine before-load', { engine: { at: 'before-load' } }],
  ['engine mid-load 2', { engine: { at: 'mid-load', batch: 2 } }],
  ['engine after-load', { engine: { at: 'after-load' } }],
  ['sink before-copy', { sink: { at: 'before-copy', action: 'throw' } }],
  ['sink mid-copy, connection killed', { sink: { at: 'mid-copy', afterRows: 400, action: 'kill-connection' } }],
  ['sink before-commit, connection killed', { sink: { at: 'before-commit', action: 'kill-connection' } }],
  ['sink after-commit', { sink: { at: 'after-commit', action: 'throw' } }],
];

function spec(mode: LoadMode): EngineTaskSpec {
  return {
    pipelineId: 'orders',
    extract: { mode: 'full' },
    stages: [
      { kind: 'transform', operations: [{ op: 'cast', column: 'amount', to: 'decimal' }] },
      { kind: 'validate', rules: [{ rule: 'not-null', column: 'email' }], onFailure: 'quarantine' },
    ],
    load: { mode, ...(mode === 'merge' ? { primaryKey: ['id'] } : {}) },
    batchSize: 250,
  };
}

async function load(table: string, csv: string, runId: string, mode: LoadMode, fault?: Fault) {
  const sink = new PostgresSink(
    { connection: { url: pg.url }, table: { schema: pg.schema, name: table } },
    fault && 'sink' in fault ? { faults: injectFault(fault.sink), lockTimeoutMs: 10_000 } : { lockTimeoutMs: 10_000 },
  );
  return runTask({
    runId,
    taskId: 'load',
    source: new FileSource({ kind: 'file', path: csv, format: 'csv' }),
    sink,
    plan: spec(mode),
    quarantine: new PostgresQuarantineSink(pool, { schema: pg.schema }),
    faults: fault && 'engine' in fault ? engineFault(fault.engine) : undefined,
  });
}

async function quarantineCount(runId: string): Promise<number> {
  const [row] = await pg.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${pg.table('_aoe_quarantine')} WHERE run_id = $1`,
    [runId],
  );
  return Number(row.n);
}

describe.each<LoadMode>(['append', 'merge', 'replace'])('%s: crash, then rerun with the same runId', (mode) => {
  const clean = `clean_${mode}`;

  beforeAll(async () => {
    expect((await load(clean, seedCsv, `seed-${mode}`, mode)).status).toBe('succeeded');
    const once = await load(clean, runCsv, `run-${mode}`, mode);
    expect(once.status).toBe('succeeded');
  });

  it('the clean reference holds what one run should', async () => {
    const sum = await pg.checksum(clean);
    // Quarantined rows are not loaded; under merge, a bad row's id keeps its seeded version when the seed had it.
    const expected = {
      append: 1000 + 1500 - BAD.length,
      merge: 2000 - BAD.filter((id) => id > 1000).length,
      replace: 1500 - BAD.length,
    };
    expect(sum.count).toBe(expected[mode]);
    if (mode === 'merge') {
      const [row] = await pg.query<{ customer: string }>(`SELECT customer FROM ${pg.table(clean)} WHERE id = 600`);
      expect(row.customer).toBe('Customer 600 v2');
    }
  });

  const points =
    mode === 'append' ? FAULTS : FAULTS.filter(([name]) => /mid-load|before-commit|after-commit|after-load/.test(name));

  it.each(points)('%s', async (name, fault) => {
    const table = `t_${mode}_${name.replace(/[^a-z0-9]+/gi, '_')}`.slice(0, 60);
    const runId = `run-${mode}`;
    expect((await load(table, seedCsv, `seed-${mode}`, mode)).status).toBe('succeeded');
    const seeded = await pg.checksum(table);

    const crashed = await load(table, runCsv, runId, mode, fault);
    expect(crashed.status).toBe('failed');
    expect(crashed.error?.retryable).toBe(true);
    const afterCrash = await pg.checksum(table);
    // Before the commit nothing is visible; after it, everything is.
    if (/after-commit|after-load/.test(name)) expect(afterCrash).toEqual(await pg.checksum(clean));
    else expect(afterCrash).toEqual(seeded);

    const rerun = await load(table, runCsv, runId, mode);
    expect(rerun.status).toBe('succeeded');
    expect(await pg.checksum(table)).toEqual(await pg.checksum(clean));

    if (mode === 'append') {
      // A third attempt of the same run changes nothing either.
      const again = await load(table, runCsv, runId, mode);
      expect(again.status).toBe('succeeded');
      expect(await pg.checksum(table)).toEqual(await pg.checksum(clean));
    }
    expect(await quarantineCount(runId)).toBe(BAD.length);
  });
});

describe('incremental PostgreSQL → PostgreSQL: crash, rerun, then the next run', () => {
  const src = 'events_src';

  async function insertEvents(from: number, to: number, day: string): Promise<void> {
    await pg.query(
      `INSERT INTO ${pg.table(src)} (id, name, updated_at)
       SELECT g, 'event ' || g, $3::timestamptz FROM generate_series($1::int, $2::int) g`,
      [from, to, day],
    );
  }

  /** One pipeline per target table: checkpoints live in the (shared) schema's `_aoe_checkpoints`. */
  function incremental(pipelineId: string): EngineTaskSpec {
    return {
      pipelineId,
      extract: { mode: 'incremental', cursorColumn: 'updated_at' },
      stages: [],
      load: { mode: 'append' },
      batchSize: 300,
    };
  }

  async function run(table: string, runId: string, fault?: Fault) {
    const sink = new PostgresSink(
      { connection: { url: pg.url }, table: { schema: pg.schema, name: table } },
      fault && 'sink' in fault ? { faults: injectFault(fault.sink) } : {},
    );
    return runTask({
      runId,
      taskId: 'load',
      source: new PostgresSource({ connection: { url: pg.url }, table: { schema: pg.schema, name: src } }),
      sink,
      plan: incremental(table),
      faults: fault && 'engine' in fault ? engineFault(fault.engine) : undefined,
    });
  }

  async function sameAsSource(table: string): Promise<void> {
    const digest = async (t: string) =>
      (
        await pg.query<{ n: string; md5: string }>(
          `SELECT count(*)::text AS n, md5(string_agg(concat_ws(',', id, name, updated_at), '|' ORDER BY id)) AS md5 FROM ${pg.table(t)}`,
        )
      )[0];
    expect(await digest(table)).toEqual(await digest(src));
  }

  beforeAll(async () => {
    await pg.query(
      `CREATE TABLE ${pg.table(src)} (id int PRIMARY KEY, name text NOT NULL, updated_at timestamptz NOT NULL)`,
    );
    await insertEvents(1, 1000, '2024-01-01T00:00:00Z');
    await insertEvents(1001, 1200, '2024-01-02T00:00:00Z');
  });

  it.each(FAULTS.filter(([name]) => /mid-load|after-load|before-commit|after-commit/.test(name)))(
    'loads every row exactly once across %s and the runs after it',
    async (name, fault) => {
      const table = `ev_${name.replace(/[^a-z0-9]+/gi, '_')}`.slice(0, 60);
      const crashed = await run(table, `${table}-1`, fault);
      expect(crashed.status).toBe('failed');
      const rerun = await run(table, `${table}-1`);
      expect(rerun.status).toBe('succeeded');
      await sameAsSource(table);
      expect(rerun.checkpoint).toMatchObject({ column: 'updated_at', value: '2024-01-02T00:00:00.000000Z' });
      expect(rerun.checkpoint?.keysAtValue).toHaveLength(200);

      // Nothing new: nothing loaded.
      const idle = await run(table, `${table}-2`);
      expect(idle.metrics.rowsLoaded).toBe(0);
      await sameAsSource(table);
    },
  );

  it('picks up rows at the mark and after it, once, including after a crash of the next run', async () => {
    const table = 'ev_next';
    expect((await run(table, 'next-1')).status).toBe('succeeded');
    // New rows share the mark (2024-01-02) and pass it.
    await insertEvents(1201, 1250, '2024-01-02T00:00:00Z');
    await insertEvents(1251, 1400, '2024-01-03T00:00:00Z');
    const crashed = await run(table, 'next-2', { engine: { at: 'after-load' } });
    expect(crashed.status).toBe('failed');
    const retried = await run(table, 'next-2');
    expect(retried.status).toBe('succeeded');
    await sameAsSource(table);
    const third = await run(table, 'next-3');
    expect(third.metrics.rowsLoaded).toBe(0);
    const reader = targetCheckpointReader({ connection: { url: pg.url }, table: { schema: pg.schema, name: table } });
    expect(await reader.readCheckpoint('ev_next', src)).toEqual(retried.checkpoint);
    await sameAsSource(table);
    const [{ cursor }] = await pg.query<{ cursor: { value: string; keysAtValue: string[] } }>(
      `SELECT cursor FROM ${pg.table('_aoe_checkpoints')} WHERE pipeline_id = 'ev_next' AND stream = $1`,
      [src],
    );
    expect(cursor.value).toBe('2024-01-03T00:00:00.000000Z');
    expect(cursor.keysAtValue).toHaveLength(150);
  });
});
