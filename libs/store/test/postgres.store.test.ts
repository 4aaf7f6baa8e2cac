import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testDatabaseUrl, uniqueName } from '@aoe/testing';
import { migrations, PostgresDatabase, revertMigrations, runMigrations, Store } from '../src';

const ALL = migrations.map((m) => m.name);
const run = promisify(execFile);
import { describeStoreContract } from './store-contract';

/** Schemas this file created; dropped at the end so the test database stays clean. */
const schemas: string[] = [];

function newSchema(): string {
  const schema = uniqueName('store');
  schemas.push(schema);
  return schema;
}

afterAll(async () => {
  const admin = new PostgresDatabase({ url: await testDatabaseUrl(), schema: 'public', poolSize: 1 });
  try {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.close();
  }
});

describeStoreContract('PostgreSQL', {
  async open(clock) {
    const db = new PostgresDatabase({ url: await testDatabaseUrl(), schema: newSchema(), poolSize: 4 });
    const store = await Store.fromDatabase(db, { schema: schemas[schemas.length - 1], clock });
    return { store, db };
  },
  async openWithSchema(schema) {
    return Store.open({ url: await testDatabaseUrl(), schema });
  },
});

describe('PostgreSQL start-up', () => {
  it('lets replicas open the same new schema at the same time: one migrates, all succeed', async () => {
    const url = await testDatabaseUrl();
    const schema = newSchema();
    const stores = await Promise.all(Array.from({ length: 4 }, () => Store.open({ url, schema, poolSize: 2 })));
    try {
      await Promise.all(stores.map((s) => s.ping()));
      const admin = new PostgresDatabase({ url, schema, poolSize: 1 });
      try {
        const applied = await admin.query<{ name: string }>('SELECT name FROM schema_migrations');
        expect(applied.rows.map((r) => r.name)).toEqual(ALL);
      } finally {
        await admin.close();
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('opens an already migrated schema without migrating again', async () => {
    const url = await testDatabaseUrl();
    const schema = newSchema();
    const first = await Store.open({ url, schema });
    await first.sources.create({
      id: 'kept',
      spec: { kind: 'file', path: 'x.csv', format: 'auto', compression: 'auto' },
    });
    await first.close();
    const second = await Store.open({ url, schema });
    try {
      await expect(second.migrate()).resolves.toEqual([]);
      expect((await second.sources.get('kept'))?.id).toBe('kept');
    } finally {
      await second.close();
    }
    await expect(second.close()).resolves.toBeUndefined();
  });

  it('reverts and re-applies migrations', async () => {
    const url = await testDatabaseUrl();
    const schema = newSchema();
    const db = new PostgresDatabase({ url, schema, poolSize: 2 });
    try {
      await expect(runMigrations(db, { schema })).resolves.toEqual(ALL);
      await expect(revertMigrations(db, { schema, to: 0 })).resolves.toEqual([...ALL].reverse());
      const tables = await db.query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [
        schema,
        'runs',
      ]);
      expect(tables.rowCount).toBe(0);
      await expect(runMigrations(db, { schema })).resolves.toEqual(ALL);
    } finally {
      await db.close();
    }
  });

  it('returns pooled sessions clean after a failed transaction', async () => {
    const url = await testDatabaseUrl();
    const schema = newSchema();
    const store = await Store.open({ url, schema, poolSize: 1 });
    try {
      await expect(
        store.transaction(async (tx) => {
          await tx.inbox.recordOnce('svc', 'm', 's');
          throw new Error('fail');
        }),
      ).rejects.toThrow('fail');
      // With one connection, a leaked open transaction would make this hang or see the row.
      await expect(store.inbox.has('svc', 'm')).resolves.toBe(false);
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL transactions', () => {
  /**
   * In a process of its own, from the compiled package (`npm test` builds it
   * first): pg warns once per process, on stderr, when a connection is asked
   * for a statement while it runs another.
   */
  it('runs statements issued together in a transaction one after the other on its connection, without pg’s deprecation warning', async () => {
    const schema = newSchema();
    const script = `
      const { PostgresDatabase } = require(${JSON.stringify(join(__dirname, '../dist/src'))});
      (async () => {
        const db = new PostgresDatabase({ url: process.env.URL, schema: process.env.SCHEMA, poolSize: 1 });
        await db.query('CREATE SCHEMA "' + process.env.SCHEMA + '"');
        await db.query('CREATE TABLE items (n int PRIMARY KEY)');
        const together = await db.transaction((tx) => Promise.all([
          tx.query('INSERT INTO items VALUES (1)'),
          tx.query('SELECT count(*)::int AS n FROM items'),
          tx.query('INSERT INTO items VALUES (2)'),
          tx.query('SELECT count(*)::int AS n FROM items'),
        ]));
        const failed = await db
          .transaction((tx) => Promise.all([tx.query('INSERT INTO items VALUES (3)'), tx.query('SELECT 1/0')]))
          .then(() => 'committed', (error) => error.code);
        const after = await db.query('SELECT count(*)::int AS n FROM items');
        await db.close();
        console.log(JSON.stringify({ seen: [together[1].rows[0].n, together[3].rows[0].n], failed, after: after.rows[0].n }));
      })();`;
    const { stdout, stderr } = await run(process.execPath, ['-e', script], {
      env: { ...process.env, URL: await testDatabaseUrl(), SCHEMA: schema },
    });
    // In the order they were issued: each SELECT sees the INSERTs before it. A failing
    // statement does not hold back the ones after it, and its transaction rolls back.
    expect(JSON.parse(stdout)).toEqual({ seen: [1, 2], failed: '22012', after: 2 });
    expect(stderr).toBe('');
  });
});
