import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgliteDatabase, Store } from '../src';
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
  });
});
