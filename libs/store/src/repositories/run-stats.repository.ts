import { z } from 'zod';
import { Identifier, LogicalType } from '@aoe/contracts';
import type { Clock } from '../clock';
import type { Database } from '../database/database';
import { listPage, SqlFilter, type Page, type PageRequest } from './pagination';
import { iso, jsonParam, orUndefined, parseRow, timestamp, type RawRow } from './rows';

export const RunStatsStatus = z.enum(['succeeded', 'failed', 'cancelled']);
export type RunStatsStatus = z.infer<typeof RunStatsStatus>;

/** One column as a run (or the source's latest profile) saw it. */
export const ColumnStat = z.strictObject({
  name: Identifier,
  type: LogicalType,
  /** Share of nulls, 0..1, when it was measured. */
  nullRate: z.number().min(0).max(1).optional(),
  /** Rows the null rate was measured on (a sample or the whole run), when known. */
  sampleSize: z.number().int().min(0).optional(),
});
export type ColumnStat = z.infer<typeof ColumnStat>;

const count = z.number().int().min(0);

/** The monitor's statistics of one finished run. */
export const RunStatsRecord = z.strictObject({
  runId: z.string().min(1),
  pipelineId: z.string().min(1),
  status: RunStatsStatus,
  rowsRead: count.optional(),
  rowsLoaded: count.optional(),
  rowsQuarantined: count.optional(),
  bytes: count.optional(),
  durationMs: z.number().min(0).optional(),
  /** rowsLoaded per second of the run's duration. */
  rowsPerSecond: z.number().min(0).optional(),
  /** The highest attempt any task needed (1 = no retry). */
  attempts: z.number().int().min(1),
  /** Task attempts beyond the first, summed over the run's tasks. */
  retries: count,
  failedTasks: count,
  columns: z.array(ColumnStat).optional(),
  /** sha256 of the sorted `name:type` pairs of columns. */
  schemaFingerprint: z.string().optional(),
  finishedAt: z.iso.datetime({ offset: true }),
  recordedAt: z.iso.datetime({ offset: true }).optional(),
});
export type RunStatsRecord = z.infer<typeof RunStatsRecord>;
export type NewRunStats = Omit<RunStatsRecord, 'recordedAt'>;

export interface RunStatsFilter extends PageRequest {
  pipelineId?: string;
  status?: RunStatsStatus | readonly RunStatsStatus[];
  /** Only runs that finished strictly before this time. */
  finishedBefore?: string;
}

const RunStatsRow = z
  .object({
    run_id: z.string(),
    pipeline_id: z.string(),
    status: RunStatsStatus,
    rows_read: count.nullable(),
    rows_loaded: count.nullable(),
    rows_quarantined: count.nullable(),
    bytes: count.nullable(),
    duration_ms: z.number().min(0).nullable(),
    rows_per_second: z.number().min(0).nullable(),
    attempts: z.number().int().min(1),
    retries: count,
    failed_tasks: count,
    columns: z.array(ColumnStat).nullable(),
    schema_fingerprint: z.string().nullable(),
    finished_at: timestamp,
    recorded_at: timestamp,
  })
  .transform((row): RunStatsRecord => ({
    runId: row.run_id,
    pipelineId: row.pipeline_id,
    status: row.status,
    rowsRead: orUndefined(row.rows_read),
    rowsLoaded: orUndefined(row.rows_loaded),
    rowsQuarantined: orUndefined(row.rows_quarantined),
    bytes: orUndefined(row.bytes),
    durationMs: orUndefined(row.duration_ms),
    rowsPerSecond: orUndefined(row.rows_per_second),
    attempts: row.attempts,
    retries: row.retries,
    failedTasks: row.failed_tasks,
    columns: orUndefined(row.columns),
    schemaFingerprint: orUndefined(row.schema_fingerprint),
    finishedAt: iso(row.finished_at),
    recordedAt: iso(row.recorded_at),
  }));

const toRunStats = (row: RawRow) => parseRow(RunStatsRow, row, 'run_stats', ['run_id']);

export class RunStatsRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Returns false when the run's statistics were already recorded (a redelivered
   * event). A run that recovery ran again finishes again: statistics of a later
   * finish replace the earlier ones, so run_stats holds the final attempt.
   */
  async record(stats: NewRunStats): Promise<boolean> {
    const s = RunStatsRecord.parse(stats);
    const result = await this.db.query(
      `INSERT INTO run_stats (run_id, pipeline_id, status, rows_read, rows_loaded, rows_quarantined, bytes,
         duration_ms, rows_per_second, attempts, retries, failed_tasks, columns, schema_fingerprint,
         finished_at, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16)
       ON CONFLICT (run_id) DO UPDATE SET
         status = excluded.status, rows_read = excluded.rows_read, rows_loaded = excluded.rows_loaded,
         rows_quarantined = excluded.rows_quarantined, bytes = excluded.bytes, duration_ms = excluded.duration_ms,
         rows_per_second = excluded.rows_per_second, attempts = excluded.attempts, retries = excluded.retries,
         failed_tasks = excluded.failed_tasks, columns = excluded.columns,
         schema_fingerprint = excluded.schema_fingerprint, finished_at = excluded.finished_at,
         recorded_at = excluded.recorded_at
       WHERE run_stats.finished_at < excluded.finished_at`,
      [
        s.runId,
        s.pipelineId,
        s.status,
        s.rowsRead ?? null,
        s.rowsLoaded ?? null,
        s.rowsQuarantined ?? null,
        s.bytes ?? null,
        s.durationMs ?? null,
        s.rowsPerSecond ?? null,
        s.attempts,
        s.retries,
        s.failedTasks,
        jsonParam(s.columns),
        s.schemaFingerprint ?? null,
        s.finishedAt,
        iso(this.clock.now()),
      ],
    );
    return result.rowCount === 1;
  }

  async get(runId: string): Promise<RunStatsRecord | undefined> {
    const result = await this.db.query('SELECT * FROM run_stats WHERE run_id = $1', [runId]);
    return result.rows[0] ? toRunStats(result.rows[0]) : undefined;
  }

  /** Newest finished first. */
  async list(filter: RunStatsFilter = {}): Promise<Page<RunStatsRecord>> {
    const where = new SqlFilter();
    if (filter.pipelineId) where.equals('pipeline_id', filter.pipelineId);
    if (typeof filter.status === 'string') where.equals('status', filter.status);
    else if (filter.status) where.whereIn('status', filter.status);
    if (filter.finishedBefore) where.where((p) => `finished_at < ${p}::timestamptz`, filter.finishedBefore);
    return listPage(
      this.db,
      {
        table: 'run_stats',
        filter: where,
        keys: [
          { column: 'finished_at', type: 'timestamptz' },
          { column: 'run_id', type: 'text' },
        ],
        direction: 'desc',
      },
      filter,
      toRunStats,
    );
  }
}
