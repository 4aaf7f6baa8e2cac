import { createHash } from 'node:crypto';
import { mkdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { FileSource, PostgresSink } from '@aoe/connectors';
import { Pool } from 'pg';
import { PostgresQuarantineSink, runTask, type EngineTaskSpec, type TaskProgress } from '../src';
import { ordersCsv, PgFixture } from './pg-helpers';

const pg = new PgFixture();
let pool: Pool;
let csvPath: string;
const BAD = [7, 300, 1999];

beforeAll(async () => {
  await pg.setup('aoe_engine_e2e');
  pool = new Pool({ connectionString: pg.url, max: 2 });
  csvPath = await pg.writeFile('orders.csv', ordersCsv(2000, 1, { bad: BAD }));
});

afterAll(async () => {
  await pool.end();
  await pg.teardown();
});

function sinkFor(table: string): PostgresSink {
  return new PostgresSink({ connection: { url: pg.url }, table: { schema: pg.schema, name: table } });
}

function source(): FileSource {
  return new FileSource({ kind: 'file', path: csvPath, format: 'csv' });
}

const shaping: EngineTaskSpec['stages'] = [
  {
    kind: 'transform',
    operations: [
      { op: 'cast', column: 'amount', to: 'decimal' },
      { op: 'filter', expr: "status = 'open' or amount > 500" },
      { op: 'derive', column: 'amount_cents', expr: 'round(amount * 100)' },
      { op: 'derive', column: 'domain', expr: 'lower(substr(email, length(email) - 10))' },
      { op: 'mask', column: 'email', style: 'hash' },
      { op: 'rename', from: 'customer', to: 'customer_name' },
    ],
  },
  { kind: 'validate', rules: [{ rule: 'range', column: 'amount_cents', min: 2600 }], onFailure: 'quarantine' },
];

function spec(overrides: Partial<EngineTaskSpec> = {}): EngineTaskSpec {
  return {
    pipelineId: 'orders',
    extract: { mode: 'full' },
    stages: shaping,
    load: { mode: 'append' },
    batchSize: 500,
    ...overrides,
  };
}

describe('runTask: file → PostgreSQL', () => {
  it('loads transformed rows, quarantines the bad ones with reason and position, and reports metrics', async () => {
    const quarantine = new PostgresQuarantineSink(pool, { schema: pg.schema });
    const progress: TaskProgress[] = [];
    const result = await runTask({
      runId: 'run-e2e',
      taskId: 'load',
      source: source(),
      sink: sinkFor('orders'),
      plan: spec(),
      quarantine,
      transforms: { hashSalt: 'salt' },
      onProgress: (p) => progress.push(p),
      progressIntervalMs: 0,
    });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');

    // What the rules say should arrive, computed independently of the engine.
    const expected: number[] = [];
    const lowAmount: number[] = [];
    for (let i = 1; i <= 2000; i++) {
      if (BAD.includes(i)) continue;
      const amount = ((i * 37) % 1000) + 0.25;
      if (!(i % 3 !== 0 || amount > 500)) continue;
      if (Math.round(amount * 100) < 2600) lowAmount.push(i);
      else expected.push(i);
    }
    const loaded = await pg.query<{ id: number }>(`SELECT id FROM ${pg.table('orders')} ORDER BY id`);
    expect(loaded.map((r) => r.id)).toEqual(expected);
    expect(result.metrics).toMatchObject({
      rowsRead: 2000,
      rowsLoaded: expected.length,
      rowsQuarantined: BAD.length + lowAmount.length,
    });
    expect(result.metrics.batches).toBeGreaterThanOrEqual(4);
    expect(result.metrics.rowsFiltered).toBe(2000 - BAD.length - expected.length - lowAmount.length);
    expect(result.metrics.bytesRead).toBeGreaterThan(100_000);
    expect(progress.filter((p) => !p.done).length).toBeGreaterThanOrEqual(4);

    const [first] = await pg.query<Record<string, unknown>>(`SELECT * FROM ${pg.table('orders')} WHERE id = 1`);
    expect(first).toMatchObject({
      id: 1,
      customer_name: 'Customer 1',
      email: createHash('sha256').update('saltuser1@example.com').digest('hex'),
      amount: '37.25',
      amount_cents: 3725,
      domain: 'example.com',
      status: 'open',
    });
    const columns = await pg.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'orders' ORDER BY ordinal_position`,
      [pg.schema],
    );
    expect(columns.map((c) => c.column_name)).toEqual([
      'id',
      'customer_name',
      'email',
      'amount',
      'status',
      'updated_at',
      'amount_cents',
      'domain',
    ]);
    expect(columns.find((c) => c.column_name === 'amount')?.data_type).toBe('numeric');

    const quarantined = await pg.query<{ position: string; reason: string; row: Record<string, unknown> }>(
      `SELECT position, reason, "row" FROM ${pg.table('_aoe_quarantine')} WHERE run_id = 'run-e2e' ORDER BY reason, position`,
    );
    expect(quarantined).toHaveLength(BAD.length + lowAmount.length);
    const castFailures = quarantined.filter((q) => q.reason.includes('cast'));
    expect(castFailures.map((q) => q.position).sort()).toEqual(BAD.map((i) => `orders.csv:${i + 1}`).sort());
    expect(castFailures[0].reason).toBe(`transform #1 (cast): cannot cast "amount" to decimal: 'n/a' is not a decimal`);
    expect(castFailures[0].row).toMatchObject({ amount: 'n/a', customer: expect.stringMatching(/^Customer/) });
    const ruleFailure = quarantined.find((q) => q.reason.startsWith('range'));
    expect(ruleFailure?.reason).toMatch(/^range: "amount_cents" = \d+ is outside \[2600, \+inf\]$/);
  });

  it('fails with a data-quality error and leaves the target untouched when the plan says fail', async () => {
    const result = await runTask({
      runId: 'run-fail',
      taskId: 'load',
      source: source(),
      sink: sinkFor('orders_fail'),
      plan: spec({ stages: [{ kind: 'transform', operations: [{ op: 'cast', column: 'amount', to: 'number' }] }] }),
    });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ class: 'data-quality', retryable: false });
    expect(result.error?.message).toContain('orders.csv:8: transform #1 (cast)');
    expect(await pg.tableExists('orders_fail')).toBe(false);
  });

  it('fails a row-count expectation at the end without publishing anything', async () => {
    const result = await runTask({
      runId: 'run-count',
      taskId: 'load',
      source: source(),
      sink: sinkFor('orders_count'),
      plan: spec({ stages: [{ kind: 'validate', rules: [{ rule: 'row-count', max: 1000 }], onFailure: 'fail' }] }),
    });
    expect(result.error).toMatchObject({
      class: 'data-quality',
      message: 'row-count: 2000 rows, expected at most 1000',
    });
    expect(await pg.tableExists('orders_count')).toBe(false);
  });

  it('cancels mid-load and leaves the target as it was', async () => {
    const first = await runTask({
      runId: 'before',
      taskId: 'load',
      source: source(),
      sink: sinkFor('orders_cancel'),
      plan: spec({ stages: [] }),
    });
    expect(first.status).toBe('succeeded');
    const before = await pg.checksum('orders_cancel');
    const controller = new AbortController();
    const result = await runTask({
      runId: 'cancelled',
      taskId: 'load',
      source: source(),
      sink: sinkFor('orders_cancel'),
      plan: spec({ stages: [] }),
      signal: controller.signal,
      progressIntervalMs: 0,
      onProgress: (p) => {
        if (p.batches === 2) controller.abort();
      },
    });
    expect(result.status).toBe('cancelled');
    expect(await pg.checksum('orders_cancel')).toEqual(before);
    const staging = await pg.query(
      `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename NOT IN ('orders_cancel') AND tablename NOT LIKE '\\_aoe\\_%'`,
      [pg.schema],
    );
    expect(staging.map((t) => t.tablename).filter((t) => String(t).includes('cancel'))).toEqual([]);
  });

  it('loads new files only on incremental runs, checkpointing the object cursor with the data', async () => {
    await mkdir(join(pg.dir, 'inc'));
    const first = await pg.writeFile('inc/a.csv', ordersCsv(100));
    await utimes(first, new Date('2024-01-01T00:00:00Z'), new Date('2024-01-01T00:00:00Z'));
    const glob = join(pg.dir, 'inc', '*.csv');
    const incremental = (runId: string) =>
      runTask({
        runId,
        taskId: 'load',
        source: new FileSource({ kind: 'file', path: glob, format: 'csv' }),
        sink: sinkFor('orders_inc'),
        plan: spec({ stages: [], extract: { mode: 'incremental' } }),
      });

    const one = await incremental('inc-1');
    expect(one.status).toBe('succeeded');
    expect(one.metrics.rowsLoaded).toBe(100);
    expect(one.checkpoint?.objects).toEqual([{ key: 'a.csv', lastModified: '2024-01-01T00:00:00.000Z' }]);

    const idle = await incremental('inc-2');
    expect(idle.metrics.rowsLoaded).toBe(0);

    const second = await pg.writeFile('inc/b.csv', ordersCsv(50, 101));
    await utimes(second, new Date('2024-01-02T00:00:00Z'), new Date('2024-01-02T00:00:00Z'));
    const two = await incremental('inc-3');
    expect(two.metrics.rowsLoaded).toBe(50);
    expect((await pg.checksum('orders_inc')).count).toBe(150);
    const [{ cursor }] = await pg.query<{ cursor: { value: string } }>(
      `SELECT cursor FROM ${pg.table('_aoe_checkpoints')} WHERE pipeline_id = 'orders' AND stream = $1`,
      [glob],
    );
    expect(cursor.value).toBe('2024-01-02T00:00:00.000Z');
  });
});
