import type { CursorState } from '../connector';
import { ConnectorError } from '../connector-error';
import type { PgSession } from './pg-connection';
import { qualifiedName } from './pg-identifiers';

/**
 * Two small tables in the target's schema make loads exactly-once:
 * `_aoe_loads` records every published (run, task, table), so a retried run
 * does not publish twice, and `_aoe_checkpoints` holds each pipeline's
 * incremental state, written in the same transaction as the data.
 */
export const LOADS_TABLE = '_aoe_loads';
export const CHECKPOINTS_TABLE = '_aoe_checkpoints';

export interface LoadRecord {
  rows: number;
  committedAt: Date;
}

export async function ensureLedgerTables(session: PgSession, schema: string): Promise<void> {
  const loads = qualifiedName(schema, LOADS_TABLE);
  const checkpoints = qualifiedName(schema, CHECKPOINTS_TABLE);
  const present = await session.query<{ loads: boolean; checkpoints: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS loads, to_regclass($2) IS NOT NULL AS checkpoints',
    [loads, checkpoints],
  );
  if (present.rows[0]?.loads && present.rows[0]?.checkpoints) return;
  await session.query('BEGIN');
  try {
    // Two loads into one new schema must not race to create the same table.
    await session.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`aoe-ledger:${schema}`]);
    await session.query(
      `CREATE TABLE IF NOT EXISTS ${loads} (
         run_id text NOT NULL,
         task_id text NOT NULL,
         table_name text NOT NULL,
         mode text NOT NULL,
         rows bigint NOT NULL,
         committed_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (run_id, task_id, table_name))`,
    );
    await session.query(
      `CREATE TABLE IF NOT EXISTS ${checkpoints} (
         pipeline_id text NOT NULL,
         stream text NOT NULL,
         cursor jsonb NOT NULL,
         updated_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (pipeline_id, stream))`,
    );
    await session.query('COMMIT');
  } catch (error) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export interface LoadKey {
  runId: string;
  taskId: string;
  /** The target, quoted and qualified: `"schema"."name"`. */
  table: string;
}

export async function findLoad(session: PgSession, schema: string, key: LoadKey): Promise<LoadRecord | undefined> {
  const result = await session.query<{ rows: string; committed_at: Date }>(
    `SELECT rows::text AS rows, committed_at FROM ${qualifiedName(schema, LOADS_TABLE)}
      WHERE run_id = $1 AND task_id = $2 AND table_name = $3`,
    [key.runId, key.taskId, key.table],
  );
  const row = result.rows[0];
  return row ? { rows: Number(row.rows), committedAt: new Date(row.committed_at) } : undefined;
}

/**
 * Claims (run, task, table) inside the publishing transaction; false when a
 * committed load already holds it (a concurrent claimer waits for the holder's
 * transaction to end).
 */
export async function claimLoad(session: PgSession, schema: string, key: LoadKey, mode: string): Promise<boolean> {
  const result = await session.query(
    `INSERT INTO ${qualifiedName(schema, LOADS_TABLE)} (run_id, task_id, table_name, mode, rows)
     VALUES ($1, $2, $3, $4, 0) ON CONFLICT DO NOTHING RETURNING 1`,
    [key.runId, key.taskId, key.table, mode],
  );
  return result.rows.length === 1;
}

export async function recordLoadRows(session: PgSession, schema: string, key: LoadKey, rows: number): Promise<void> {
  await session.query(
    `UPDATE ${qualifiedName(schema, LOADS_TABLE)} SET rows = $4, committed_at = now()
      WHERE run_id = $1 AND task_id = $2 AND table_name = $3`,
    [key.runId, key.taskId, key.table, rows],
  );
}

export async function writeCheckpoint(
  session: PgSession,
  schema: string,
  pipelineId: string,
  stream: string,
  state: CursorState,
): Promise<void> {
  await session.query(
    `INSERT INTO ${qualifiedName(schema, CHECKPOINTS_TABLE)} (pipeline_id, stream, cursor, updated_at)
     VALUES ($1, $2, $3::jsonb, now())
     ON CONFLICT (pipeline_id, stream) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = EXCLUDED.updated_at`,
    [pipelineId, stream, JSON.stringify(state)],
  );
}

function asCursorState(value: unknown): CursorState {
  const state = (typeof value === 'string' ? JSON.parse(value) : value) as Partial<CursorState> | null;
  if (
    !state ||
    typeof state.column !== 'string' ||
    !Array.isArray(state.keysAtValue) ||
    !(state.value === null || typeof state.value === 'string' || typeof state.value === 'number')
  ) {
    throw new ConnectorError('bug', 'a stored checkpoint is not a cursor state');
  }
  return state as CursorState;
}

/** The committed incremental state of a pipeline's stream; undefined before its first load. */
export async function readCheckpoint(
  session: PgSession,
  schema: string,
  pipelineId: string,
  stream: string,
): Promise<CursorState | undefined> {
  const table = qualifiedName(schema, CHECKPOINTS_TABLE);
  const exists = await session.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
  if (!exists.rows[0]?.present) return undefined;
  const result = await session.query<{ cursor: unknown }>(
    `SELECT cursor FROM ${table} WHERE pipeline_id = $1 AND stream = $2`,
    [pipelineId, stream],
  );
  const row = result.rows[0];
  return row ? asCursorState(row.cursor) : undefined;
}
