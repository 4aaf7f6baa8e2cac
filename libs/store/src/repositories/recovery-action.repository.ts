import { z } from 'zod';
import { ErrorClass, RecoveryAction } from '@aoe/contracts';
import type { Clock } from '../clock';
import type { Database } from '../database/database';
import { iso, isoOrUndefined, jsonParam, orUndefined, parseRow, timestamp, type RawRow } from './rows';

/** Overrides recovery applies to a run it runs again; they carry over to the run's later retries. */
export const RecoveryOverrides = z.strictObject({
  batchSize: z.number().int().min(1).optional(),
  onBadRows: z.literal('quarantine').optional(),
});
export type RecoveryOverrides = z.infer<typeof RecoveryOverrides>;

/** A failure recovery handled, and what it chose (action is absent while the claim is being decided). */
export interface RecoveryActionRecord {
  runId: string;
  /** The failed task; '' when the run failed without a task failure (refused, executor error). */
  taskId: string;
  attempt: number;
  pipelineId: string;
  sourceId?: string;
  failureClass: ErrorClass;
  action?: RecoveryAction;
  decisionId?: string;
  reason?: string;
  overrides?: RecoveryOverrides;
  failedAt: string;
  claimedAt: string;
  decidedAt?: string;
}

export type RecoveryClaim = Pick<
  RecoveryActionRecord,
  'runId' | 'taskId' | 'attempt' | 'pipelineId' | 'sourceId' | 'failureClass' | 'failedAt'
>;

export interface RecoveryDecided {
  action: RecoveryAction;
  decisionId: string;
  reason: string;
  overrides?: RecoveryOverrides;
}

const RecoveryActionRow = z
  .object({
    run_id: z.string(),
    task_id: z.string(),
    attempt: z.number().int(),
    pipeline_id: z.string(),
    source_id: z.string().nullable(),
    failure_class: ErrorClass,
    action: RecoveryAction.nullable(),
    decision_id: z.string().nullable(),
    reason: z.string().nullable(),
    overrides: RecoveryOverrides.nullable(),
    failed_at: timestamp,
    claimed_at: timestamp,
    decided_at: timestamp.nullable(),
  })
  .transform((row): RecoveryActionRecord => ({
    runId: row.run_id,
    taskId: row.task_id,
    attempt: row.attempt,
    pipelineId: row.pipeline_id,
    sourceId: orUndefined(row.source_id),
    failureClass: row.failure_class,
    action: orUndefined(row.action),
    decisionId: orUndefined(row.decision_id),
    reason: orUndefined(row.reason),
    overrides: orUndefined(row.overrides),
    failedAt: iso(row.failed_at),
    claimedAt: iso(row.claimed_at),
    decidedAt: isoOrUndefined(row.decided_at),
  }));

const toAction = (row: RawRow) =>
  parseRow(RecoveryActionRow, row, 'recovery_actions', ['run_id', 'task_id', 'attempt']);

export class RecoveryActionRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Claims a failure for the caller: `claimed` when its row was inserted, or
   * taken over because an earlier claimant left it undecided since before
   * `staleBefore` (it died); `decided` when another claimant already acted;
   * `pending` when another claimant is deciding now. One failure, one action.
   */
  async claim(claim: RecoveryClaim, staleBefore: string): Promise<'claimed' | 'decided' | 'pending'> {
    const result = await this.db.query(
      `INSERT INTO recovery_actions AS r (run_id, task_id, attempt, pipeline_id, source_id, failure_class, failed_at, claimed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (run_id, task_id, attempt) DO UPDATE SET
         claimed_at = excluded.claimed_at, failure_class = excluded.failure_class
       WHERE r.action IS NULL AND r.claimed_at < $9::timestamptz`,
      [
        claim.runId,
        claim.taskId,
        claim.attempt,
        claim.pipelineId,
        claim.sourceId ?? null,
        ErrorClass.parse(claim.failureClass),
        claim.failedAt,
        iso(this.clock.now()),
        staleBefore,
      ],
    );
    if (result.rowCount === 1) return 'claimed';
    const current = await this.get(claim.runId, claim.taskId, claim.attempt);
    return current?.action ? 'decided' : 'pending';
  }

  /** Gives up an undecided claim (its decision failed), so a redelivery can claim it at once. */
  async release(key: { runId: string; taskId: string; attempt: number }): Promise<void> {
    await this.db.query(
      'DELETE FROM recovery_actions WHERE run_id = $1 AND task_id = $2 AND attempt = $3 AND action IS NULL',
      [key.runId, key.taskId, key.attempt],
    );
  }

  /** Records what was chosen for a claimed failure. */
  async decide(key: { runId: string; taskId: string; attempt: number }, decided: RecoveryDecided): Promise<void> {
    await this.db.query(
      `UPDATE recovery_actions SET action = $4, decision_id = $5, reason = $6, overrides = $7::jsonb, decided_at = $8
       WHERE run_id = $1 AND task_id = $2 AND attempt = $3`,
      [
        key.runId,
        key.taskId,
        key.attempt,
        RecoveryAction.parse(decided.action),
        decided.decisionId,
        decided.reason,
        jsonParam(decided.overrides === undefined ? undefined : RecoveryOverrides.parse(decided.overrides)),
        iso(this.clock.now()),
      ],
    );
  }

  async get(runId: string, taskId: string, attempt: number): Promise<RecoveryActionRecord | undefined> {
    const result = await this.db.query(
      'SELECT * FROM recovery_actions WHERE run_id = $1 AND task_id = $2 AND attempt = $3',
      [runId, taskId, attempt],
    );
    return result.rows[0] ? toAction(result.rows[0]) : undefined;
  }

  /** Every failure of a run recovery handled, oldest first. */
  async listByRun(runId: string): Promise<RecoveryActionRecord[]> {
    const result = await this.db.query(
      'SELECT * FROM recovery_actions WHERE run_id = $1 ORDER BY attempt, failed_at, task_id',
      [runId],
    );
    return result.rows.map(toAction);
  }

  /** Failures since `since` of a source or a pipeline, newest first (at most `limit`). */
  async listRecent(
    filter: { sourceId?: string; pipelineId?: string; since: string },
    limit = 100,
  ): Promise<RecoveryActionRecord[]> {
    const params: Array<string | number> = [filter.since, Math.min(500, Math.max(1, limit))];
    const where = ['failed_at >= $1::timestamptz'];
    if (filter.sourceId !== undefined) where.push(`source_id = $${params.push(filter.sourceId)}`);
    if (filter.pipelineId !== undefined) where.push(`pipeline_id = $${params.push(filter.pipelineId)}`);
    const result = await this.db.query(
      `SELECT * FROM recovery_actions WHERE ${where.join(' AND ')} ORDER BY failed_at DESC, run_id DESC LIMIT $2`,
      params,
    );
    return result.rows.map(toAction);
  }
}
