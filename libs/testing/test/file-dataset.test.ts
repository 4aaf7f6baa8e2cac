import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource, PostgresSink, type RejectedRecord } from '@aoe/connectors';
import { PostgresQuarantineSink, runTask, type EngineTaskSpec } from '@aoe/engine';
import {
  castOperations,
  rewriteDataset,
  testDatabaseUrl,
  uniqueName,
  writeDataset,
  type DatasetManifest,
} from '@aoe/testing';
import { Pool } from 'pg';

let dir: string;
let pool: Pool;
const schema = uniqueName('faults_files');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aoe-file-faults-'));
  pool = new Pool({ connectionString: await testDatabaseUrl(), max: 3 });
  await pool.query(`CREATE SCHEMA "${schema}"`);
});
afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
  await rm(dir, { recursive: true, force: true });
});

/** The load the manifest's outcomes assume: every typed column cast, failures quarantined. */
async function load(manifest: DatasetManifest, runId: string, table: string) {
  const plan: EngineTaskSpec = {
    pipelineId: table,
    extract: { mode: 'full' },
    stages: [{ kind: 'transform', operations: castOperations(manifest.columns) }],
    load: { mode: 'append' },
    batchSize: 16,
    onTransformFailure: 'quarantine',
  };
  return runTask({
    runId,
    taskId: 'load',
    source: new FileSource({ kind: 'file', path: manifest.path }),
    sink: new PostgresSink({ connection: { url: await testDatabaseUrl() }, table: { schema, name: table } }),
    plan,
    quarantine: new PostgresQuarantineSink(pool, { schema }),
  });
}

async function quarantined(runId: string): Promise<Array<{ position: string; reason: string }>> {
  const { rows } = await pool.query<{ position: string; reason: string }>(
    `SELECT position, reason FROM "${schema}"._aoe_quarantine WHERE run_id = $1`,
    [runId],
  );
  const line = (p: string) => Number(p.slice(p.lastIndexOf(':') + 1));
  return rows.sort((a, b) => line(a.position) - line(b.position));
}

describe('file faults: malformed records at known positions', () => {
  it('CSV: the source rejects ragged and broken-quote lines, casts refuse bad numbers, the rest loads exactly', async () => {
    const manifest = await writeDataset(join(dir, 'orders.csv'), {
      rows: 60,
      seed: 'csv',
      malformed: [
        { row: 3, kind: 'extra-field' },
        { row: 10, kind: 'missing-field' },
        { row: 17, kind: 'broken-quote' },
        { row: 25, kind: 'invalid-number' },
        { row: 31, kind: 'bad-encoding', column: 'amount' },
        { row: 40, kind: 'bad-encoding', column: 'name' },
        { row: 52, kind: 'invalid-number', column: 'id' },
      ],
    });
    expect(manifest.quarantined.map((q) => [q.line, q.stage])).toEqual([
      [4, 'source'],
      [11, 'source'],
      [18, 'source'],
      [26, 'transform'],
      [32, 'transform'],
      [53, 'transform'],
    ]);
    expect(manifest.loaded).toHaveLength(54);

    // What the source alone refuses, with its reasons.
    const rejected: RejectedRecord[] = [];
    for await (const batch of new FileSource({ kind: 'file', path: manifest.path }).read({ batchSize: 20 })) {
      rejected.push(...batch.rejected);
    }
    expect(rejected.map((r) => [r.position, r.reason])).toEqual([
      ['orders.csv:4', 'expected 4 fields, found 5'],
      ['orders.csv:11', 'expected 4 fields, found 3'],
      ['orders.csv:18', 'expected 4 fields, found 2'],
    ]);

    const result = await load(manifest, 'csv-run', 'orders');
    expect(result.error).toBeUndefined();
    expect(result.metrics).toMatchObject({ rowsLoaded: 54, rowsQuarantined: 6 });
    const { rows } = await pool.query<{ id: string; name: string; amount: string; created_on: string }>(
      `SELECT t.id::text, name, amount::text, created_on::text FROM "${schema}".orders t ORDER BY t.id`,
    );
    expect(rows).toEqual(manifest.loaded.map((l) => l.row));
    expect(rows.find((r) => r.name.includes('\uFFFD'))).toEqual(manifest.loaded.find((l) => l.line === 41)?.row);

    const stored = await quarantined('csv-run');
    expect(stored.map((q) => q.position)).toEqual(manifest.quarantined.map((q) => q.position));
    expect(stored.slice(0, 3).map((q) => q.reason)).toEqual([
      'source: expected 4 fields, found 5',
      'source: expected 4 fields, found 3',
      'source: expected 4 fields, found 2',
    ]);
    expect(stored[3].reason).toMatch(/amount/);
    expect(stored[4].reason).toMatch(/amount/);
    expect(stored[5].reason).toMatch(/\bid\b/);
  });

  it('JSON Lines: a broken line is rejected by the source, a bad number by its cast', async () => {
    const manifest = await writeDataset(join(dir, 'events.jsonl'), {
      rows: 30,
      seed: 'jsonl',
      malformed: [
        { row: 4, kind: 'broken-json' },
        { row: 9, kind: 'invalid-number' },
        { row: 12, kind: 'bad-encoding' },
      ],
    });
    const result = await load(manifest, 'jsonl-run', 'events');
    expect(result.error).toBeUndefined();
    const { rows } = await pool.query(`SELECT id, name FROM "${schema}".events ORDER BY id`);
    expect(rows).toEqual(manifest.loaded.map((l) => ({ id: l.row.id, name: l.row.name })));
    expect(manifest.altered).toEqual([{ line: 12, column: 'name' }]);
    const stored = await quarantined('jsonl-run');
    expect(stored.map((q) => q.position)).toEqual(['events.jsonl:4', 'events.jsonl:9']);
    expect(stored[0].reason).toMatch(/^source: invalid JSON/);
  });

  it('refuses a fault that does not fit the format or the columns', async () => {
    await expect(
      writeDataset(join(dir, 'x.jsonl'), { rows: 3, malformed: [{ row: 1, kind: 'extra-field' }] }),
    ).rejects.toThrow(/CSV fault/);
    await expect(
      writeDataset(join(dir, 'x.csv'), { rows: 3, malformed: [{ row: 1, kind: 'bad-encoding', column: 'nope' }] }),
    ).rejects.toThrow(/named "nope"/);
  });
});

describe('file faults: the schema changes between runs', () => {
  it('a column added, then removed, loads additively; a retyped key stops the load as schema drift', async () => {
    const first = await writeDataset(join(dir, 'drift.csv'), { rows: 20, seed: 'drift' });
    expect((await load(first, 'drift-1', 'drift')).status).toBe('succeeded');

    const added = await rewriteDataset(first, {
      rows: 20,
      change: { kind: 'add', column: { name: 'country', type: 'string' } },
    });
    expect(added.columns.map((c) => c.name)).toEqual(['id', 'name', 'amount', 'created_on', 'country']);
    expect((await load(added, 'drift-2', 'drift')).status).toBe('succeeded');

    const removed = await rewriteDataset(added, { rows: 20, change: { kind: 'remove', column: 'amount' } });
    expect((await load(removed, 'drift-3', 'drift')).status).toBe('succeeded');

    const counts = await pool.query(
      `SELECT count(*)::int AS rows, count(country)::int AS with_country, count(amount)::int AS with_amount,
              min(id)::int AS first, max(id)::int AS last FROM "${schema}".drift`,
    );
    expect(counts.rows[0]).toEqual({ rows: 60, with_country: 40, with_amount: 40, first: 1, last: 60 });

    const retyped = await rewriteDataset(removed, { rows: 20, change: { kind: 'retype', column: 'id', to: 'string' } });
    const refused = await load(retyped, 'drift-4', 'drift');
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatchObject({ class: 'schema-drift' });
    expect(refused.error?.message).toMatch(/"id"/);
    expect((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".drift`)).rows[0].n).toBe(60);
  });
});
