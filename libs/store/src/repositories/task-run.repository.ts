import { z } from 'zod';
import { ClassifiedError, type TaskEvent } from '@aoe/contracts';
import type { Clock } from '../clock';
import type { Database } from '../database/database';
import { isForeignKeyViolation } from '../database/sql-errors';
import { ConflictError, NotFoundError } from '../errors';
import { listPage, SqlFilter, type Page, type PageRequest } from './pagination';
import { iso, isoOrUndefined, jsonParam, orUndefined, parseRow, timestamp, type RawRow } from './rows';

export const TaskRunStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped']);
export type TaskRunStatus = z.infer<typeof TaskRunStatus>;

const TERMINAL: readonly TaskRunStatus[] = ['succeeded', 'failed', 'cancelled', 'skipped'];

export interface TaskRunRecord {
  runId: string;
  taskId: string;
  status: TaskRunStatus;
  attempt: number;
  rows?: number;
  bytes?: number;
  error?: ClassifiedError;
  startedAt?: string;
  finishedAt?: string;
}

export interface TaskRunUpdate {
  runId: string;
  taskId: string;
  status: TaskRunStatus;
  /** 1 for the first try. */
  attempt: number;
  rows?: number;
  bytes?: number;
  error?: ClassifiedError;
  /** When it happened; default: the store's clock. */
  at?: string;
}

/** applied is false for a stale event: an older attempt, or a change after the attempt ended. */
export interface TaskRunChange {
  applied: boolean;
  taskRun: TaskRunRecord;
}

const TaskRunRow = z
  .object({
    run_id: z.string(),
    task_id: z.string(),
    status: TaskRunStatus,
    attempt: z.number().int().min(1),
    rows: z.number().int().nullable(),
    bytes: z.number().int().nullable(),
    error: ClassifiedError.nullable(),
    started_at: timestamp.nullable(),
    finished_at: timestamp.nullable(),
  })
  .transform((row): TaskRunRecord => ({
    runId: row.run_id,
    taskId: row.task_id,
    status: row.status,
    attempt: row.attempt,
    rows: orUndefined(row.rows),
    bytes: orUndefined(row.bytes),
    error: orUndefined(row.error),
    startedAt: isoOrUndefined(row.started_at),
    finishedAt: isoOrUndefined(row.finished_at),
  }));

const toTaskRun = (row: RawRow) => parseRow(TaskRunRow, row, 'task_runs', ['run_id', 'task_id']);

const TASK_EVENT_STATUS: Record<TaskEvent['status'], TaskRunStatus> = {
  started: 'running',
  progress: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
};

export class TaskRunRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Inserts or updates the task's row. Events may arrive late or twice: an older
   * attempt never overwrites a newer one, and a finished attempt stays finished.
   * Throws ConflictError when the run does not exist.
   */
  async upsert(update: TaskRunUpdate): Promise<TaskRunChange> {
    const at = update.at ?? iso(this.clock.now());
    const status = TaskRunStatus.parse(update.status);
    const terminalList = TERMINAL.map((s) => `'${s}'`).join(', ');
    try {
      const result = await this.db.query(
        `INSERT INTO task_runs AS t (run_id, task_id, status, attempt, rows, bytes, error, started_at, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
         ON CONFLICT (run_id, task_id) DO UPDATE SET
           status = excluded.status,
           attempt = excluded.attempt,
           rows = COALESCE(excluded.rows, CASE WHEN excluded.attempt = t.attempt THEN t.rows END),
           bytes = COALESCE(excluded.bytes, CASE WHEN excluded.attempt = t.attempt THEN t.bytes END),
           error = excluded.error,
           started_at = CASE WHEN excluded.attempt = t.attempt THEN COALESCE(t.started_at, excluded.started_at)
                             ELSE excluded.started_at END,
           finished_at = excluded.finished_at
         WHERE excluded.attempt > t.attempt OR (excluded.attempt = t.attempt AND t.status NOT IN (${terminalList}))
         RETURNING *`,
        [
          update.runId,
          update.taskId,
          status,
          update.attempt,
          update.rows ?? null,
          update.bytes ?? null,
          jsonParam(update.error === undefined ? undefined : ClassifiedError.parse(update.error)),
          status === 'running' ? at : null,
          TERMINAL.includes(status) ? at : null,
        ],
      );
      const row = result.rows[0];
      if (row) return { applied: true, taskRun: toTaskRun(row) };
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new ConflictError(`run "${update.runId}" does not exist`, error);
      throw error;
    }
    const current = await this.get(update.runId, update.taskId);
    if (!current) throw new NotFoundError('task run', `${update.runId}/${update.taskId}`);
    return { applied: false, taskRun: current };
  }

  /** Records a task event from the bus (started and progress both mean running). */
  async applyEvent(event: TaskEvent): Promise<TaskRunChange> {
    return this.upsert({
      runId: event.runId,
      taskId: event.taskId,
      status: TASK_EVENT_STATUS[event.status],
      attempt: event.attempt,
      rows: event.rows,
      bytes: event.bytes,
      error: event.error,
      at: event.at,
    });
  }

  async get(runId: string, taskId: string): Promise<TaskRunRecord | undefined> {
    const result = await this.db.query('SELECT * FROM task_runs WHERE run_id = $1 AND task_id = $2', [runId, taskId]);
    return result.rows[0] ? toTaskRun(result.rows[0]) : undefined;
  }

  /** In task id order. */
  async listByRun(runId: string, page: PageRequest = {}): Promise<Page<TaskRunRecord>> {
    return listPage(
      this.db,
      {
        table: 'task_runs',
        filter: new SqlFilter().equals('run_id', runId),
        keys: [{ column: 'task_id', type: 'text' }],
        direction: 'asc',
      },
      page,
      toTaskRun,
    );
  }
}
