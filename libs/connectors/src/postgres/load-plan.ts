import type { ColumnSchema, WriteResult } from '../connector';
import type { LoadKey } from './load-ledger';

/** What one load of a PostgresSink writes, and where. */
export interface LoadPlan {
  table: { schema: string; name: string };
  /** The target, quoted and schema-qualified. */
  target: string;
  /** This (run, task, table)'s staging table, quoted and schema-qualified. */
  staging: string;
  /** The staging table's own name (unquoted). */
  stagingName: string;
  key: LoadKey;
  columns: ColumnSchema[];
  primaryKey?: string[];
}

export interface PostgresWriteResult extends WriteResult {
  /** This (run, task, table) had been published before: nothing was written now. */
  alreadyCommitted: boolean;
}

export type LoadOutcome =
  | { kind: 'committed'; result: PostgresWriteResult & { rowsToLoad?: number; typedCopy?: boolean } }
  | { kind: 'claimed-elsewhere' }
  | { kind: 'fallback'; reason: string };
