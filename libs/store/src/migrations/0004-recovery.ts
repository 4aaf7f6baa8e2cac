import type { Database } from '../database/database';
import { runStatements } from './migration';

/**
 * recovery_actions: one row per failure the recovery agent handled, keyed by
 * (run, task, attempt). The key is the claim: the replica whose INSERT wins
 * (in the transaction that decides and publishes) acts; every other replica
 * and every redelivery finds the row and does nothing. The rows are also the
 * history the next decision reads (earlier failures of the run, of the source).
 *
 * circuit_breakers: one row per source whose circuit recovery opened. While
 * `state = 'open'` and `retry_at` is ahead, new runs of pipelines on the source
 * are refused; after `retry_at` the circuit is half-open (the next run probes).
 */
const UP = [
  `CREATE TABLE recovery_actions (
    run_id text NOT NULL,
    task_id text NOT NULL,
    attempt integer NOT NULL CHECK (attempt >= 1),
    pipeline_id text NOT NULL,
    source_id text,
    failure_class text NOT NULL,
    action text,
    decision_id text,
    reason text,
    overrides jsonb,
    failed_at timestamptz NOT NULL,
    claimed_at timestamptz NOT NULL,
    decided_at timestamptz,
    PRIMARY KEY (run_id, task_id, attempt)
  )`,
  `CREATE INDEX recovery_actions_source_idx ON recovery_actions (source_id, failed_at DESC)`,
  `CREATE INDEX recovery_actions_pipeline_idx ON recovery_actions (pipeline_id, failed_at DESC)`,
  `CREATE TABLE circuit_breakers (
    source_id text PRIMARY KEY,
    state text NOT NULL CHECK (state IN ('open', 'closed')),
    trips integer NOT NULL CHECK (trips >= 0),
    reason text,
    opened_at timestamptz,
    retry_at timestamptz,
    updated_at timestamptz NOT NULL
  )`,
];

const DOWN = ['DROP TABLE circuit_breakers', 'DROP TABLE recovery_actions'];

export async function up(db: Database): Promise<void> {
  await runStatements(db, UP);
}

export async function down(db: Database): Promise<void> {
  await runStatements(db, DOWN);
}
