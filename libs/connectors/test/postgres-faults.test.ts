import { testDatabaseUrl, uniqueName } from '@aoe/testing';
import { Client, Pool } from 'pg';
import {
  advanceCursor,
  ConnectorError,
  InjectedFault,
  injectFault,
  PostgresSink,
  type PostgresSinkOptions,
  PostgresSource,
  pgPoolFactory,
  quoteIdent,
  readTargetCheckpoint,
  type Batch,
  type CursorState,
  type FaultHook,
  type FaultPoint,
  type WriteOptions,
} from '../src';

let url: string;
let admin: Client;
const schema = uniqueName('aoe_pgfault');
const q = quoteIdent(schema);
const ROWS = 6000;

beforeAll(async () => {
  url = await testDatabaseUrl();
  admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${q}`);
  await admin.query(`CREATE TABLE ${q}.src (id int PRIMARY KEY, v text, at timestamptz)`);
  await admin.query(
    `INSERT INTO ${q}.src SELECT i, repeat(md5(i::text), 4), TIMESTAMPTZ '2024-01-01 00:00:00+00' + (i / 10) * INTERVAL '1 second' FROM generate_series(1, ${ROWS}) i`,
  );
});

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${q} CASCADE`);
  await admin.end();
});

const source = () => new PostgresSource({ connection: { url }, table: { schema, name: 'src' } });

async function checksum(table: string): Promise<{ count: string; md5: string | null }> {
  const result = await admin.query<{ count: string; md5: string | null }>(
    `SELECT count(*)::text AS count, md5(string_agg(t::text, '|' ORDER BY t.id)) AS md5 FROM ${q}.${quoteIdent(table)} t`,
  );
  return result.rows[0];
}

async function tableExists(table: string): Promise<boolean> {
  const result = await admin.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [
    `${q}.${quoteIdent(table)}`,
  ]);
  return result.rows[0].present;
}

async function stagingTables(): Promise<string[]> {
  const result = await admin.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '\\_aoe\\_stage%'`,
    [schema],
  );
  return result.rows.map((r) => r.tablename);
}

/** One incremental load: source → sink with the checkpoint folded batch by batch. */
async function load(
  target: string,
  runId: string,
  faults: FaultHook | undefined,
  overrides: Partial<WriteOptions> = {},
  sinkOptions: PostgresSinkOptions = {},
) {
  const table = { schema, name: target };
  const sink = new PostgresSink({ connection: { url }, table }, { faults, ...sinkOptions });
  const src = source();
  const [stream] = await src.discover();
  const previous = await readTargetCheckpoint({ connection: { url }, table }, `pipe_${target}`, 'src');
  let next: CursorState | undefined = previous;
  async function* tracked(): AsyncGenerator<Batch> {
    for await (const batch of src.read({ batchSize: 500, cursorColumn: 'at', cursor: previous })) {
      next = advanceCursor(next, batch.rows, 'at', ['id']);
      yield batch;
    }
  }
  return sink.write(tracked(), {
    runId,
    taskId: 'load',
    mode: 'append',
    schema: stream,
    schemaEvolution: 'additive',
    checkpoint: { pipelineId: `pipe_${target}`, stream: 'src', state: () => next },
    ...overrides,
  });
}

describe('PostgresSink: faults and retries', () => {
  it('survives the COPY connection being killed mid-copy (pg_terminate_backend): the retry loads every row once', async () => {
    const runId = uniqueName('run');
    const fault = injectFault({ at: 'mid-copy', afterRows: 2000, action: 'kill-connection' });
    // Through the staging table (the path of replace and merge, and of append with directAppend off).
    const failed = await load('killed', runId, fault, {}, { directAppend: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(fault.fired()).toBe(1);
    expect(failed).toBeInstanceOf(ConnectorError);
    expect(failed).toMatchObject({ errorClass: 'transient-network' });
    expect(await tableExists('killed')).toBe(false);
    // The killed attempt's staging table is left behind, and rebuilt by the retry.
    expect(await stagingTables()).toHaveLength(1);
    expect(
      await readTargetCheckpoint({ connection: { url }, table: { schema, name: 'killed' } }, 'pipe_killed', 'src'),
    ).toBeUndefined();

    const retried = await load('killed', runId, fault, {}, { directAppend: false });
    expect(retried).toMatchObject({ rowsWritten: ROWS, alreadyCommitted: false });
    expect(await checksum('killed')).toEqual(await checksum('src'));
    expect(await stagingTables()).toEqual([]);
  });

  it('direct append: a connection killed mid-COPY into the target rolls back; the retry loads every row once', async () => {
    const runId = uniqueName('run');
    const fault = injectFault({ at: 'mid-copy', afterRows: 2000, action: 'kill-connection' });
    const failed = await load('killed_direct', runId, fault).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(fault.fired()).toBe(1);
    expect(failed).toMatchObject({ errorClass: 'transient-network' });
    // The COPY ran inside the publishing transaction: no table, no staging table, no checkpoint.
    expect(await tableExists('killed_direct')).toBe(false);
    expect(await stagingTables()).toEqual([]);
    expect(
      await readTargetCheckpoint(
        { connection: { url }, table: { schema, name: 'killed_direct' } },
        'pipe_killed_direct',
        'src',
      ),
    ).toBeUndefined();
    const retried = await load('killed_direct', runId, fault);
    expect(retried).toMatchObject({ rowsWritten: ROWS, alreadyCommitted: false });
    expect(await checksum('killed_direct')).toEqual(await checksum('src'));
    const again = await load('killed_direct', runId, fault);
    expect(again).toMatchObject({ rowsWritten: ROWS, alreadyCommitted: true });
    expect(await checksum('killed_direct')).toEqual(await checksum('src'));
  });

  const points: FaultPoint[] = ['before-copy', 'mid-copy', 'before-commit', 'after-commit'];
  it.each(points)('a throw at %s, then a retry of the same run, leaves exactly the source rows', async (point) => {
    const target = `t_${point.replace('-', '_')}`;
    const runId = uniqueName('run');
    const fault = injectFault({ at: point, afterRows: 1, action: 'throw' });
    await expect(load(target, runId, fault)).rejects.toBeInstanceOf(InjectedFault);
    const committed = point === 'after-commit';
    expect(await tableExists(target)).toBe(committed);
    if (committed) expect(await checksum(target)).toEqual(await checksum('src'));

    const retried = await load(target, runId, fault);
    expect(retried).toMatchObject({ rowsWritten: ROWS, alreadyCommitted: committed });
    expect(await checksum(target)).toEqual(await checksum('src'));
    expect(await stagingTables()).toEqual([]);
    const state = await readTargetCheckpoint(
      { connection: { url }, table: { schema, name: target } },
      `pipe_${target}`,
      'src',
    );
    expect(state).toMatchObject({ column: 'at', value: '2024-01-01T00:10:00.000000Z', keysAtValue: ['6000'] });

    // The next run finds nothing new.
    expect((await load(target, uniqueName('run'), undefined)).rowsWritten).toBe(0);
    expect((await checksum(target)).count).toBe(String(ROWS));
  });

  it('a connection killed inside the publishing transaction rolls everything back', async () => {
    const runId = uniqueName('run');
    const fault = injectFault({ at: 'before-commit', action: 'kill-connection' });
    await expect(load('killed_commit', runId, fault)).rejects.toMatchObject({ errorClass: 'transient-network' });
    expect(await tableExists('killed_commit')).toBe(false);
    await load('killed_commit', runId, fault);
    expect(await checksum('killed_commit')).toEqual(await checksum('src'));
  });

  it('a merge retried after a crash before commit converges on the same rows', async () => {
    const runId = uniqueName('run');
    const fault = injectFault({ at: 'mid-copy', afterRows: 1000, action: 'throw' });
    const merge = { mode: 'merge' as const, primaryKey: ['id'] };
    await expect(load('merged', runId, fault, merge)).rejects.toBeInstanceOf(InjectedFault);
    await load('merged', runId, fault, merge);
    expect(await checksum('merged')).toEqual(await checksum('src'));
  });

  it('a second attempt waits for the first to let go of its staging table', async () => {
    const runId = uniqueName('run');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const atGate = new Promise<void>((resolve) => (reached = resolve));
    const slow: FaultHook = async ({ point }) => {
      if (point !== 'before-copy') return;
      reached();
      await gate;
    };
    const first = load('serial', runId, slow);
    await atGate;
    const sink = new PostgresSink({ connection: { url }, table: { schema, name: 'serial' } }, { lockTimeoutMs: 300 });
    const [stream] = await source().discover();
    await expect(
      sink.write(source().read({ batchSize: 100 }), {
        runId,
        taskId: 'load',
        mode: 'append',
        schema: stream,
        schemaEvolution: 'additive',
      }),
    ).rejects.toMatchObject({ errorClass: 'timeout' });
    release();
    expect((await first).rowsWritten).toBe(ROWS);
    expect((await checksum('serial')).count).toBe(String(ROWS));
  });

  it('stops when the load is aborted', async () => {
    const controller = new AbortController();
    const hook: FaultHook = ({ point, rowsCopied }) => {
      if (point === 'mid-copy' && rowsCopied >= 1000) controller.abort(new ConnectorError('timeout', 'deadline'));
    };
    await expect(load('aborted', uniqueName('run'), hook, { signal: controller.signal })).rejects.toMatchObject({
      errorClass: 'timeout',
    });
    expect(await tableExists('aborted')).toBe(false);
    expect(await stagingTables()).toEqual([]);
  });

  it('kills and retries on a caller pool too, and a failing producer leaves nothing behind', async () => {
    const pool = new Pool({ connectionString: url, max: 3 });
    try {
      const table = { schema, name: 'pooled' };
      const fault = injectFault({ at: 'mid-copy', afterRows: 1000, action: 'kill-connection' });
      const sink = new PostgresSink({ table }, { connectionFactory: pgPoolFactory(pool), faults: fault });
      const [stream] = await source().discover();
      const opts = {
        runId: uniqueName('run'),
        taskId: 'load',
        mode: 'append' as const,
        schema: stream,
        schemaEvolution: 'additive' as const,
      };
      await expect(sink.write(source().read({ batchSize: 500 }), opts)).rejects.toMatchObject({
        errorClass: 'transient-network',
      });
      expect((await sink.write(source().read({ batchSize: 500 }), opts)).rowsWritten).toBe(ROWS);
      expect(await checksum('pooled')).toEqual(await checksum('src'));

      async function* failing(): AsyncGenerator<Batch> {
        let n = 0;
        for await (const batch of source().read({ batchSize: 500 })) {
          if (++n === 3) throw new ConnectorError('rate-limit', 'source went away');
          yield batch;
        }
      }
      const other = new PostgresSink({ table: { schema, name: 'never' } }, { connectionFactory: pgPoolFactory(pool) });
      await expect(other.write(failing(), { ...opts, runId: uniqueName('run') })).rejects.toMatchObject({
        errorClass: 'rate-limit',
      });
      expect(await tableExists('never')).toBe(false);
      expect(await stagingTables()).toEqual([]);
    } finally {
      await pool.end();
    }
  });
});
