import type { NamedMigration } from './migration';
import * as initial from './0001-initial';
import * as gatewaySecurity from './0002-gateway-security';
import * as monitor from './0003-monitor';
import * as recovery from './0004-recovery';

/**
 * Every migration, in order. Listed by hand rather than globbed so the compiled
 * output runs the same set; add a new one at the end (see docs/store.md).
 */
export const migrations: readonly NamedMigration[] = [
  { name: '0001-initial', module: initial },
  { name: '0002-gateway-security', module: gatewaySecurity },
  { name: '0003-monitor', module: monitor },
  { name: '0004-recovery', module: recovery },
];
