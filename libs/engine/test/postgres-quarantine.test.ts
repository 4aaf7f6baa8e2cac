import { Pool } from 'pg';
import { PostgresQuarantineSink, type QuarantineRecord } from '../src';
import { PgFixture } from './pg-helpers';

const pg = new PgFixture();
let pool: Pool;

beforeAll(async () => {
  await pg.setup('aoe_engine_quarantine');
  pool = new Pool({ connectionString: pg.url, max: 4 });
});

afterAll(async () => {
  await pool.end();
  await pg.teardown();
});

function record(position: string, overrides: Partial<QuarantineRecord> = {}): QuarantineRecord {
  return {
    runId: 'run-1',
    taskId: 'load',
    position,
    reason: 'not-null: "email" is null',
    row: { id: 1 },
    stage: 'validate',
    ...overrides,
  };
}

describe('PostgresQuarantineSink', () => {
  it('creates _aoe_quarantine on first use and writes reason, position and the row as jsonb', async () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const sink = new PostgresQuarantineSink(pool, { schema: pg.schema, clock: () => at });
    await sink.write([
      record('orders.csv:2', { row: { id: 1, email: null, when: '2024-01-01T00:00:00.000Z', nested: { a: [1] } } }),
      record('orders.csv:3', {
        reason: "cast: 'x' is not a number",
        row: { text: 'nul\u0000 inside, quotes " and \\' },
      }),
    ]);
    const rows = await pg.query<{
      run_id: string;
      task_id: string;
      position: string;
      reason: string;
      row: unknown;
      at: Date;
    }>(`SELECT * FROM ${pg.table('_aoe_quarantine')} ORDER BY position`);
    expect(rows).toEqual([
      {
        run_id: 'run-1',
        task_id: 'load',
        position: 'orders.csv:2',
        reason: 'not-null: "email" is null',
        row: { id: 1, email: null, when: '2024-01-01T00:00:00.000Z', nested: { a: [1] } },
        at,
      },
      expect.objectContaining({
        position: 'orders.csv:3',
        reason: "cast: 'x' is not a number",
        row: { text: 'nul\\u0000 inside, quotes " and \\' },
      }),
    ]);
  });

  it('is idempotent on (run, task, position): a retried task does not duplicate its quarantine', async () => {
    const sink = new PostgresQuarantineSink(pool, { schema: pg.schema, chunkSize: 2 });
    const batch = ['a', 'b', 'c', 'a'].map((p) => record(p, { runId: 'run-2' }));
    await sink.write(batch);
    await sink.write(batch);
    await sink.write([]);
    const [{ n }] = await pg.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${pg.table('_aoe_quarantine')} WHERE run_id = 'run-2'`,
    );
    expect(n).toBe('3');
  });

  it('survives workers creating the table at the same time, in a new schema', async () => {
    const schema = `${pg.schema}_race`;
    try {
      const sinks = Array.from({ length: 4 }, () => new PostgresQuarantineSink(pool, { schema }));
      await Promise.all(sinks.map((s, i) => s.write([record(`p${i}`, { runId: 'race' })])));
      const [{ n }] = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${schema}"._aoe_quarantine`);
      expect(n).toBe('4');
    } finally {
      await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });

  it('connects by URL with its own pool, and reports a failure to create the table', async () => {
    const sink = PostgresQuarantineSink.connect(pg.url, { schema: pg.schema });
    await sink.write([record('url', { runId: 'run-3' })]);
    await sink.close();
    const failing = new PostgresQuarantineSink(
      { query: () => Promise.reject(Object.assign(new Error('permission denied'), { code: '42501' })) },
      { schema: pg.schema },
    );
    await expect(failing.write([record('x')])).rejects.toThrow('permission denied');
    await expect(failing.ensureTable()).rejects.toThrow('permission denied');
  });
});
