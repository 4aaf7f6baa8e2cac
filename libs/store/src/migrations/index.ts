import type { NamedMigration } from './migration';
import * as initial from './0001-initial';

/**
 * Every migration, in order. Listed by hand rather than globbed so the compiled
 * output runs the same set; add a new one at the end (see docs/store.md).
 */
export const migrations: readonly NamedMigration[] = [{ name: '0001-initial', module: initial }];
