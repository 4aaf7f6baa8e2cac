import { testDatabaseUrl, uniqueName } from '@aoe/testing';
import { migrations, PostgresDatabase, revertMigrations, runMigrations, Store } from '../src';

const ALL = migrations.map((m) => m.name);
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
