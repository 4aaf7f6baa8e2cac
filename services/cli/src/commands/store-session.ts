import type { Store } from '@aoe/store';
import { beginStoreOpen } from '../embedded/store-opening';
import { homeOf } from '../home';
import type { CliIo } from '../io';
import { tuneWasmTiering } from '../wasm-tiering';

/** The embedded control-plane store alone, for commands that only read it. */
export async function withStore<T>(io: CliIo, fn: (store: Store) => Promise<T>): Promise<T> {
  const { home } = homeOf(io);
  tuneWasmTiering('bookkeeping');
  const opening = await beginStoreOpen(home, io.env);
  try {
    const store = await opening.store;
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  } finally {
    await opening.release();
  }
}
