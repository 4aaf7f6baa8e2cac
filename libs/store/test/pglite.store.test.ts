import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { PgliteDatabase, PgliteHostDatabase, Store } from '../src';
import { describeStoreContract } from './store-contract';

describeStoreContract('PGlite', {
  async open(clock) {
    const db = await PgliteDatabase.open({ schema: 'aoe' });
    const store = await Store.fromDatabase(db, { schema: 'aoe', clock });
    return { store, db };
  },
  async openWithSchema(schema) {
    return Store.open({ url: 'pglite://memory', schema });
  },
});

describeStoreContract('PGlite in a worker thread', {
  async open(clock) {
    const db = await PgliteHostDatabase.openInWorker({ schema: 'aoe' });
    const store = await Store.fromDatabase(db, { schema: 'aoe', clock });
    return { store, db };
  },
  async openWithSchema(schema) {
    return Store.open({ url: 'pglite://memory', schema, worker: true });
  },
});

describe('PGlite in a worker thread', () => {
  let db: PgliteHostDatabase;

  beforeAll(async () => {
    db = await PgliteHostDatabase.openInWorker({ schema: 'public' });
    await db.query('CREATE TABLE items (id int PRIMARY KEY, at timestamptz, doc jsonb)');
  });

  afterAll(async () => {
    await db.close();
  });

  it("returns PGlite's values: numbers, dates and parsed JSON", async () => {
    const { rows, rowCount } = await db.query<{ n: number; at: Date; doc: { a: number[] } }>(
      `SELECT 42::int8 AS n, '2026-11-26T08:00:00Z'::timestamptz AS at, '{"a":[1,2]}'::jsonb AS doc`,
    );
    expect(rowCount).toBe(1);
    expect(rows[0]).toEqual({ n: 42, at: new Date('2026-11-26T08:00:00Z'), doc: { a: [1, 2] } });
  });

  it("starts PostgreSQL with the store's small shared memory, after PGlite's own start parameters", async () => {
    const { rows } = await db.query<{ buffers: string; connections: string; workers: string; shmem: string }>(
      `SELECT current_setting('shared_buffers') AS buffers, current_setting('max_connections') AS connections,
              current_setting('max_worker_processes') AS workers,
              (SELECT sum(allocated_size) FROM pg_shmem_allocations)::text AS shmem`,
    );
    // PGlite's defaults (max_worker_processes=0 among them) are kept; ours come on top.
    expect(rows[0]).toMatchObject({ buffers: '2MB', connections: '5', workers: '0' });
    // What PGlite zeroes at every open: 6MB, against 146MB with PostgreSQL's defaults.
    expect(Number(rows[0].shmem)).toBeLessThanOrEqual(8 * 1024 * 1024);
  });

  it("keeps an error's SQLSTATE and fields", async () => {
    await db.query('INSERT INTO items (id) VALUES ($1)', [1]);
    await expect(db.query('INSERT INTO items (id) VALUES ($1)', [1])).rejects.toMatchObject({
      code: '23505',
      constraint: 'items_pkey',
      message: expect.stringContaining('duplicate key') as unknown,
    });
  });

  it('holds statements issued during a transaction until it ends, and rolls back on a throw', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const transaction = db.transaction(async (tx) => {
      await tx.query('INSERT INTO items (id) VALUES (2)');
      await gate;
      throw new Error('changed my mind');
    });
    const outside = db.query<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE id = 2');
    release();
    await expect(transaction).rejects.toThrow('changed my mind');
    await expect(outside).resolves.toMatchObject({ rows: [{ n: 0 }] });
  });

  it('runs statements issued together in the order they were issued, around a transaction issued among them', async () => {
    await db.query('CREATE TABLE steps (n int, seen int)');
    const count = 'SELECT count(*)::int FROM steps';
    const results = await Promise.all([
      db.query(`INSERT INTO steps VALUES (1, (${count}))`),
      db.query(`INSERT INTO steps VALUES (2, (${count}))`),
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO steps VALUES (3, (${count}))`);
        await tx.query(`INSERT INTO steps VALUES (4, (${count}))`);
      }),
      db.query(`INSERT INTO steps VALUES (5, (${count}))`),
      db.query<{ n: number; seen: number }>('SELECT n, seen FROM steps ORDER BY n'),
    ]);
    // Each insert saw exactly the rows issued before it.
    expect(results[4].rows).toEqual([0, 1, 2, 3, 4].map((seen) => ({ n: seen + 1, seen })));
  });

  it('refuses statements once closed, and closes twice without complaint', async () => {
    const other = await PgliteHostDatabase.openInWorker({ schema: 'public' });
    await other.close();
    await other.close();
    await expect(other.query('SELECT 1')).rejects.toThrow('closed');
  });
});

describe('PGlite start-up', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aoe-store-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps data in its directory and does not migrate twice', async () => {
    const url = `pglite://${join(dir, 'nested', 'store')}`;
    const first = await Store.open({ url });
    expect(first.schema).toBe('aoe');
    await first.sources.create({
      id: 'kept',
      spec: { kind: 'file', path: 'x.csv', format: 'auto', compression: 'auto' },
    });
    await first.close();

    const second = await Store.open({ url });
    try {
      await expect(second.migrate()).resolves.toEqual([]);
      expect((await second.sources.get('kept'))?.id).toBe('kept');
    } finally {
      await second.close();
    }

    // The same directory opened from a worker thread sees the same data.
    const third = await Store.open({ url, worker: true });
    try {
      expect((await third.sources.get('kept'))?.id).toBe('kept');
    } finally {
      await third.close();
    }
  });

  it('reports a data directory it cannot open, from the worker too', async () => {
    const file = join(dir, 'not-a-directory');
    await writeFile(file, 'x');
    await expect(Store.open({ url: `pglite://${file}`, worker: true })).rejects.toThrow();
  });
});
