import type { Database } from '../database/database';
import { runStatements } from './migration';

/**
 * The control-plane tables. CHECK constraints guard only the lifecycles the store
 * owns (statuses); values whose vocabulary belongs to a contract (alert kinds,
 * agents) are checked by parsing the contract when a row is read.
 */
const UP = [
  `CREATE TABLE sources (
    id text PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL,
    spec jsonb NOT NULL,
    status text NOT NULL CHECK (status IN ('registered', 'analyzing', 'profiled', 'failed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sources_name_key UNIQUE (name)
  )`,
  `CREATE INDEX sources_created_idx ON sources (created_at DESC, id DESC)`,

  `CREATE TABLE source_profiles (
    id text PRIMARY KEY,
    source_id text NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    profile jsonb NOT NULL,
    profiled_at timestamptz NOT NULL
  )`,
  `CREATE INDEX source_profiles_source_idx ON source_profiles (source_id, profiled_at DESC, id DESC)`,

  `CREATE TABLE pipelines (
    id text PRIMARY KEY,
    source_id text NOT NULL REFERENCES sources (id),
    name text NOT NULL,
    target jsonb NOT NULL,
    policy jsonb NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'deleted')),
    schedule text,
    current_plan_version integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX pipelines_source_idx ON pipelines (source_id, created_at DESC, id DESC)`,
  `CREATE INDEX pipelines_created_idx ON pipelines (created_at DESC, id DESC)`,

  `CREATE TABLE plan_versions (
    pipeline_id text NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version >= 1),
    plan jsonb NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline_id, version)
  )`,
  `ALTER TABLE pipelines ADD CONSTRAINT pipelines_current_plan_fkey
    FOREIGN KEY (id, current_plan_version) REFERENCES plan_versions (pipeline_id, version)`,

  `CREATE TABLE runs (
    id text PRIMARY KEY,
    pipeline_id text NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    plan_version integer,
    status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    trigger text NOT NULL,
    stats jsonb,
    error jsonb,
    settings jsonb,
    cpu_seconds double precision CHECK (cpu_seconds >= 0),
    peak_memory_bytes bigint CHECK (peak_memory_bytes >= 0),
    bytes_moved bigint CHECK (bytes_moved >= 0),
    started_at timestamptz,
    finished_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (pipeline_id, plan_version) REFERENCES plan_versions (pipeline_id, version)
  )`,
  `CREATE INDEX runs_pipeline_created_idx ON runs (pipeline_id, created_at DESC, id DESC)`,
  `CREATE INDEX runs_status_idx ON runs (status)`,
  `CREATE INDEX runs_created_idx ON runs (created_at DESC, id DESC)`,

  `CREATE TABLE task_runs (
    run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    task_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped')),
    attempt integer NOT NULL CHECK (attempt >= 1),
    rows bigint CHECK (rows >= 0),
    bytes bigint CHECK (bytes >= 0),
    error jsonb,
    started_at timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (run_id, task_id)
  )`,

  `CREATE TABLE agent_decisions (
    id text PRIMARY KEY,
    agent text NOT NULL,
    subject_id text NOT NULL,
    correlation_id text,
    input_digest text NOT NULL,
    choice jsonb NOT NULL,
    rationale text NOT NULL,
    decided_by text NOT NULL,
    model text,
    latency_ms double precision NOT NULL,
    accepted boolean NOT NULL,
    rejection_reason text,
    at timestamptz NOT NULL
  )`,
  `CREATE INDEX agent_decisions_at_idx ON agent_decisions (at DESC, id DESC)`,
  `CREATE INDEX agent_decisions_subject_idx ON agent_decisions (subject_id, at DESC, id DESC)`,
  `CREATE INDEX agent_decisions_correlation_idx ON agent_decisions (correlation_id, at DESC, id DESC)
    WHERE correlation_id IS NOT NULL`,
  `CREATE INDEX agent_decisions_input_idx ON agent_decisions (agent, input_digest, at DESC)`,

  `CREATE TABLE alerts (
    id text PRIMARY KEY,
    pipeline_id text,
    run_id text,
    kind text NOT NULL,
    severity text NOT NULL,
    message text NOT NULL,
    evidence jsonb NOT NULL,
    at timestamptz NOT NULL,
    acknowledged_at timestamptz
  )`,
  `CREATE INDEX alerts_at_idx ON alerts (at DESC, id DESC)`,
  `CREATE INDEX alerts_pipeline_idx ON alerts (pipeline_id, at DESC, id DESC) WHERE pipeline_id IS NOT NULL`,
  `CREATE INDEX alerts_run_idx ON alerts (run_id) WHERE run_id IS NOT NULL`,
  `CREATE INDEX alerts_open_idx ON alerts (at DESC, id DESC) WHERE acknowledged_at IS NULL`,

  `CREATE TABLE checkpoints (
    pipeline_id text NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    stream text NOT NULL,
    cursor jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline_id, stream)
  )`,

  `CREATE TABLE dead_letters (
    id text PRIMARY KEY,
    service text NOT NULL,
    original_subject text NOT NULL,
    payload jsonb NOT NULL,
    reason text NOT NULL,
    kind text NOT NULL,
    attempts integer NOT NULL,
    failed_at timestamptz NOT NULL,
    replayed_at timestamptz
  )`,
  `CREATE INDEX dead_letters_failed_at_idx ON dead_letters (failed_at DESC, id DESC)`,
  `CREATE INDEX dead_letters_service_idx ON dead_letters (service, failed_at DESC, id DESC)`,

  `CREATE TABLE inbox (
    service text NOT NULL,
    message_id text NOT NULL,
    subject text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service, message_id)
  )`,
  `CREATE INDEX inbox_received_at_idx ON inbox (received_at)`,
];

const DOWN = [
  'DROP TABLE inbox',
  'DROP TABLE dead_letters',
  'DROP TABLE checkpoints',
  'DROP TABLE alerts',
  'DROP TABLE agent_decisions',
  'DROP TABLE task_runs',
  'DROP TABLE runs',
  'ALTER TABLE pipelines DROP CONSTRAINT pipelines_current_plan_fkey',
  'DROP TABLE plan_versions',
  'DROP TABLE pipelines',
  'DROP TABLE source_profiles',
  'DROP TABLE sources',
];

export async function up(db: Database): Promise<void> {
  await runStatements(db, UP);
}

export async function down(db: Database): Promise<void> {
  await runStatements(db, DOWN);
}
