import type { Database } from '../database/database';
import { runStatements } from './migration';

/**
 * The gateway's security records: API keys (only a hash of the secret is kept)
 * and the audit trail of every write through the gateway.
 */
const UP = [
  `CREATE TABLE api_keys (
    id text PRIMARY KEY,
    name text NOT NULL,
    scope text NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    secret_hash text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
  )`,
  `CREATE INDEX api_keys_created_idx ON api_keys (created_at DESC, id DESC)`,

  `CREATE TABLE audit_records (
    id text PRIMARY KEY,
    actor text NOT NULL,
    action text NOT NULL,
    target text,
    result text NOT NULL,
    status_code integer NOT NULL,
    request_id text,
    at timestamptz NOT NULL
  )`,
  `CREATE INDEX audit_records_at_idx ON audit_records (at DESC, id DESC)`,
  `CREATE INDEX audit_records_actor_idx ON audit_records (actor, at DESC, id DESC)`,

  `CREATE INDEX runs_status_created_idx ON runs (status, created_at DESC, id DESC)`,
];

const DOWN = ['DROP INDEX runs_status_created_idx', 'DROP TABLE audit_records', 'DROP TABLE api_keys'];

export async function up(db: Database): Promise<void> {
  await runStatements(db, UP);
}

export async function down(db: Database): Promise<void> {
  await runStatements(db, DOWN);
}
