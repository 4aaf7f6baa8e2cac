import { join } from 'node:path';
import { openStore, type Store } from '@aoe/store';
import { lockHome } from '../home';
import type { CliIo } from '../io';
import { homeOf } from './session';

/** The embedded control-plane store alone, for commands that only read it. */
export async function withStore<T>(io: CliIo, fn: (store: Store) => Promise<T>): Promise<T> {
  const { home } = homeOf(io);
  const release = await lockHome(home);
  try {
    const store = await openStore({ url: `pglite://${join(home, 'store')}`, applicationName: 'aoe' });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  } finally {
    await release();
  }
}
