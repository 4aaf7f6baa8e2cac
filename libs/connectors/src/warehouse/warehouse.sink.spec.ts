import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch, Row, StreamSchema, WriteOptions } from '../connector';
import { ConnectorError } from '../connector-error';
import { Warehouse, warehouseDirFor } from './warehouse';
import { WarehouseSink } from './warehouse.sink';

const schema: StreamSchema = {
  name: 'events',
  columns: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'name', type: 'string', nullable: true },
    { name: 'at', type: 'timestamptz', nullable: true },
  ],
};

async function* batchesOf(rows: Row[], size = 2): AsyncGenerator<Batch> {
  for (let i = 0; i < rows.length; i += size) {
    const slice = rows.slice(i, i + size);
    yield { rows: slice, positions: slice.map((_, j) => `t:${i + j + 1}`), rejected: [], bytes: 10 };
  }
}

const rows = (from: number, to: number, name = 'n'): Row[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    id: from + i,
    name: `${name}${from + i}`,
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, from + i)),
  }));

function options(overrides: Partial<WriteOptions> = {}): WriteOptions {
  return {
    runId: `run-${Math.random()}`,
    taskId: 'load',
    mode: 'append',
    schema,
    schemaEvolution: 'additive',
    ...overrides,
  };
}

describe('WarehouseSink on PGlite', () => {
  let warehouse: Warehouse;
  let sink: WarehouseSink;

  beforeAll(async () => {
    warehouse = await Warehouse.open('memory');
    sink = new WarehouseSink(warehouse, { table: { name: 'events' } }, { rowsPerStatement: 3 });
  });
  afterAll(() => warehouse.close());

  const count = async (table = 'public.events') =>
    Number((await warehouse.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);

  it('checks, appends once per run and task, replaces and merges', async () => {
    expect(await sink.check()).toEqual({ ok: true });
    const first = options();
    const written = await sink.write(batchesOf(rows(1, 5)), first);
    expect(written).toMatchObject({
      rowsWritten: 5,
      alreadyCommitted: false,
      location: 'warehouse://memory#public.events',
    });
    // The same run and task again: nothing is written twice.
    expect(await sink.write(batchesOf(rows(1, 5)), first)).toMatchObject({ rowsWritten: 5, alreadyCommitted: true });
    expect(await count()).toBe(5);

    await sink.write(batchesOf(rows(6, 7)), options());
    expect(await count()).toBe(7);

    await sink.write(batchesOf(rows(1, 3)), options({ mode: 'replace' }));
    expect(await count()).toBe(3);

    const merge = new WarehouseSink(warehouse, { table: { name: 'merged' } });
    await merge.write(batchesOf(rows(1, 4)), options({ mode: 'merge', primaryKey: ['id'] }));
    await merge.write(
      batchesOf([...rows(3, 6, 'changed'), ...rows(6, 6, 'last')]),
      options({ mode: 'merge', primaryKey: ['id'] }),
    );
    const result = await warehouse.query('SELECT id, name FROM merged ORDER BY id');
    expect(result.rows).toEqual([
      { id: 1, name: 'n1' },
      { id: 2, name: 'n2' },
      { id: 3, name: 'changed3' },
      { id: 4, name: 'changed4' },
      { id: 5, name: 'changed5' },
      { id: 6, name: 'last6' },
    ]);
    expect(result.columns).toEqual([
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'text' },
    ]);
  });

  it('commits the checkpoint with the data, and nothing when the stream fails', async () => {
    const target = new WarehouseSink(warehouse, { table: { schema: 'sales', name: 'orders' } });
    const state = { column: 'id', value: 3, keysAtValue: ['3'] };
    await target.write(
      batchesOf(rows(1, 3)),
      options({ checkpoint: { pipelineId: 'p1', stream: 's', state: () => state } }),
    );
    expect(await target.readCheckpoint('p1', 's')).toEqual(state);

    async function* failing(): AsyncGenerator<Batch> {
      yield* batchesOf(rows(4, 5));
      throw new Error('the source broke');
    }
    await expect(
      target.write(
        failing(),
        options({ checkpoint: { pipelineId: 'p1', stream: 's', state: () => ({ ...state, value: 5 }) } }),
      ),
    ).rejects.toThrow('the source broke');
    expect(await target.readCheckpoint('p1', 's')).toEqual(state);
    expect(await count('sales.orders')).toBe(3);
    // No staging table is left behind.
    const staging = await warehouse.query(
      `SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE '_aoe_stage%'`,
    );
    expect(staging.rows[0].n).toBe(0);
  });

  it('keeps concurrent loads apart: statements of one never land in the transaction of another', async () => {
    const a = new WarehouseSink(warehouse, { table: { name: 'left' } }, { rowsPerStatement: 1 });
    const b = new WarehouseSink(warehouse, { table: { name: 'right' } }, { rowsPerStatement: 1 });
    async function* slow(list: Row[]): AsyncGenerator<Batch> {
      for await (const batch of batchesOf(list, 1)) {
        await new Promise((r) => setTimeout(r, 1));
        yield batch;
      }
    }
    async function* failsLate(list: Row[]): AsyncGenerator<Batch> {
      for await (const batch of slow(list)) yield batch;
      throw new Error('late failure');
    }
    const quarantine = warehouse.queryable();
    await quarantine.query('CREATE TABLE IF NOT EXISTS notes (n int)');
    const results = await Promise.allSettled([
      a.write(slow(rows(1, 20)), options()),
      b.write(failsLate(rows(1, 20)), options()),
      (async () => {
        for (let i = 0; i < 20; i++) await quarantine.query('INSERT INTO notes VALUES ($1)', [i]);
      })(),
    ]);
    if (results[0].status === 'rejected') throw results[0].reason;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await count('public.left')).toBe(20);
    expect((await warehouse.query(`SELECT to_regclass('public.right') AS t`)).rows[0].t).toBeNull();
    expect(await count('public.notes')).toBe(20);
  });

  it('answers several statements, and reports SQL errors as connector errors', async () => {
    const results = await warehouse.exec(
      'CREATE TABLE x (a int); INSERT INTO x VALUES (1), (2); SELECT sum(a)::int AS s FROM x',
    );
    expect(results.at(-1)!.rows).toEqual([{ s: 3 }]);
    const error = await warehouse.query('SELECT * FROM missing_table').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).errorClass).toBe('schema-drift');
    await expect(warehouse.exec('SELEC 1')).rejects.toThrow(/syntax/);
  });
});

describe('Warehouse on disk', () => {
  it('shares one instance per directory and keeps data across openings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aoe-wh-'));
    try {
      const one = await WarehouseSink.open({ table: { name: 't' } }, join(dir, 'warehouse'));
      const two = await Warehouse.open(join(dir, 'warehouse'));
      expect(two).toBe(one.warehouse);
      await one.write(batchesOf(rows(1, 2)), options());
      await one.close();
      expect((await two.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(2);
      await two.close();
      await expect(two.connectionFactory().connect()).rejects.toThrow(/closed/);

      const again = await Warehouse.open(join(dir, 'warehouse'));
      expect((await again.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(2);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds its directory from the environment', () => {
    expect(warehouseDirFor({ AOE_WAREHOUSE_DIR: '/w' })).toBe('/w');
    expect(warehouseDirFor({ AOE_HOME: '/h' })).toBe('/h/warehouse');
    expect(warehouseDirFor({})).toBe('.aoe/warehouse');
  });
});
