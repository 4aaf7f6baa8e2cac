import type { Database } from '../database/database';
import { runStatements } from './migration';

/**
 * run_stats: the monitor's per-pipeline statistics of every finished run, the
 * history its anomaly detectors compare a new run against. Like alerts and
 * decisions it has no foreign keys: it is derived from run events and may
 * outlive (or precede) the runs table's row.
 */
const UP = [
  `CREATE TABLE run_stats (
    run_id text PRIMARY KEY,
    pipeline_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('succeeded', 'failed', 'cancelled')),
    rows_read bigint CHECK (rows_read >= 0),
    rows_loaded bigint CHECK (rows_loaded >= 0),
    rows_quarantined bigint CHECK (rows_quarantined >= 0),
    bytes bigint CHECK (bytes >= 0),
    duration_ms double precision CHECK (duration_ms >= 0),
    rows_per_second double precision CHECK (rows_per_second >= 0),
    attempts integer NOT NULL CHECK (attempts >= 1),
    retries integer NOT NULL CHECK (retries >= 0),
    failed_tasks integer NOT NULL CHECK (failed_tasks >= 0),
    columns jsonb,
    schema_fingerprint text,
    finished_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL
  )`,
  `CREATE INDEX run_stats_pipeline_idx ON run_stats (pipeline_id, finished_at DESC, run_id DESC)`,
];

const DOWN = ['DROP TABLE run_stats'];

export async function up(db: Database): Promise<void> {
  await runStatements(db, UP);
}

export async function down(db: Database): Promise<void> {
  await runStatements(db, DOWN);
}
