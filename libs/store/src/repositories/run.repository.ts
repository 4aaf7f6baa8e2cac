import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ClassifiedError, RunRequested, RunSettings, RunStats } from '@aoe/contracts';
import type { Clock } from '../clock';
import type { Database, SqlParam } from '../database/database';
import { isForeignKeyViolation, isUniqueViolation } from '../database/sql-errors';
import { ConflictError, NotFoundError } from '../errors';
import { listPage, newestFirst, SqlFilter, type Page, type PageRequest } from './pagination';
import { firstRow, iso, isoOrUndefined, jsonParam, orUndefined, parseRow, timestamp, type RawRow } from './rows';

export const RunRecordStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type RunRecordStatus = z.infer<typeof RunRecordStatus>;
export const RunTrigger = RunRequested.shape.trigger;
export type RunTrigger = z.infer<typeof RunTrigger>;

export const TERMINAL_RUN_STATUSES: readonly RunRecordStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface RunResources {
  cpuSeconds?: number;
  peakMemoryBytes?: number;
  bytesMoved?: number;
}

export interface RunRecord extends RunResources {
  id: string;
  pipelineId: string;
  planVersion?: number;
  status: RunRecordStatus;
  trigger: RunTrigger;
  stats?: RunStats;
  error?: ClassifiedError;
  settings?: RunSettings;
  startedAt?: string;
  finishedAt?: string;
  createdAt: string;
}

export interface NewRun {
  /** Default: a random UUID. */
  id?: string;
  pipelineId: string;
  planVersion?: number;
  trigger: RunTrigger;
  settings?: RunSettings;
}

/** What a status change may also record; absent fields keep their stored value. */
export interface RunStatusUpdate extends RunResources {
  stats?: RunStats;
  error?: ClassifiedError;
  settings?: RunSettings;
  planVersion?: number;
  /** When it happened; default: the store's clock. */
  at?: string;
}

/** applied is false when the run was already in a status it may not leave that way (a late or repeated event). */
export interface RunStatusChange {
  applied: boolean;
  run: RunRecord;
}

export interface RunFilter extends PageRequest {
  pipelineId?: string;
  status?: RunRecordStatus | readonly RunRecordStatus[];
}

/**
 * The statuses a run may move from into each status. Terminal statuses are final,
 * and running -> running is allowed so progress (stats, resources) can be recorded.
 */
const ALLOWED_FROM: Record<RunRecordStatus, readonly RunRecordStatus[]> = {
  queued: [],
  running: ['queued', 'running'],
  succeeded: ['queued', 'running'],
  failed: ['queued', 'running'],
  cancelled: ['queued', 'running'],
};

const RunRow = z
  .object({
    id: z.string(),
    pipeline_id: z.string(),
    plan_version: z.number().int().nullable(),
    status: RunRecordStatus,
    trigger: RunTrigger,
    stats: RunStats.nullable(),
    error: ClassifiedError.nullable(),
    settings: RunSettings.nullable(),
    cpu_seconds: z.number().nullable(),
    peak_memory_bytes: z.number().int().nullable(),
    bytes_moved: z.number().int().nullable(),
    started_at: timestamp.nullable(),
    finished_at: timestamp.nullable(),
    created_at: timestamp,
  })
  .transform((row): RunRecord => ({
    id: row.id,
    pipelineId: row.pipeline_id,
    planVersion: orUndefined(row.plan_version),
    status: row.status,
    trigger: row.trigger,
    stats: orUndefined(row.stats),
    error: orUndefined(row.error),
    settings: orUndefined(row.settings),
    cpuSeconds: orUndefined(row.cpu_seconds),
    peakMemoryBytes: orUndefined(row.peak_memory_bytes),
    bytesMoved: orUndefined(row.bytes_moved),
    startedAt: isoOrUndefined(row.started_at),
    finishedAt: isoOrUndefined(row.finished_at),
    createdAt: iso(row.created_at),
  }));

const toRun = (row: RawRow) => parseRow(RunRow, row, 'runs', ['id']);

export class RunRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** A queued run. Throws ConflictError when the id is taken or the pipeline (or plan version) does not exist. */
  async create(input: NewRun): Promise<RunRecord> {
    const id = input.id ?? randomUUID();
    const settings = input.settings === undefined ? null : jsonParam(RunSettings.parse(input.settings));
    try {
      const result = await this.db.query(
        `INSERT INTO runs (id, pipeline_id, plan_version, status, trigger, settings, created_at)
         VALUES ($1, $2, $3, 'queued', $4, $5::jsonb, $6) RETURNING *`,
        [
          id,
          input.pipelineId,
          input.planVersion ?? null,
          RunTrigger.parse(input.trigger),
          settings,
          iso(this.clock.now()),
        ],
      );
      return toRun(firstRow(result.rows));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`run "${id}" exists`, error);
      if (isForeignKeyViolation(error)) {
        throw new ConflictError(
          `pipeline "${input.pipelineId}" (plan version ${input.planVersion ?? '-'}) does not exist`,
          error,
        );
      }
      throw error;
    }
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const result = await this.db.query('SELECT * FROM runs WHERE id = $1', [id]);
    return result.rows[0] ? toRun(result.rows[0]) : undefined;
  }

  /**
   * Moves the run to status, recording what the update carries. Running sets
   * startedAt once; a terminal status sets finishedAt. Throws NotFoundError.
   */
  async updateStatus(id: string, status: RunRecordStatus, update: RunStatusUpdate = {}): Promise<RunStatusChange> {
    const at = update.at ?? iso(this.clock.now());
    const params: SqlParam[] = [
      id,
      status,
      at,
      jsonParam(update.stats === undefined ? undefined : RunStats.parse(update.stats)),
      jsonParam(update.error === undefined ? undefined : ClassifiedError.parse(update.error)),
      jsonParam(update.settings === undefined ? undefined : RunSettings.parse(update.settings)),
      update.planVersion ?? null,
      update.cpuSeconds ?? null,
      update.peakMemoryBytes ?? null,
      update.bytesMoved ?? null,
    ];
    const from = ALLOWED_FROM[status].map((s) => {
      params.push(s);
      return `$${params.length}`;
    });
    const terminal = TERMINAL_RUN_STATUSES.includes(status);
    const result =
      from.length === 0
        ? { rows: [] }
        : await this.db.query(
            `UPDATE runs SET
               status = $2,
               stats = COALESCE($4::jsonb, stats),
               error = COALESCE($5::jsonb, error),
               settings = COALESCE($6::jsonb, settings),
               plan_version = COALESCE($7::integer, plan_version),
               cpu_seconds = COALESCE($8::double precision, cpu_seconds),
               peak_memory_bytes = COALESCE($9::bigint, peak_memory_bytes),
               bytes_moved = COALESCE($10::bigint, bytes_moved),
               started_at = ${status === 'running' ? 'COALESCE(started_at, $3::timestamptz)' : 'started_at'},
               finished_at = ${terminal ? '$3::timestamptz' : 'finished_at'}
             WHERE id = $1 AND status IN (${from.join(', ')})
             RETURNING *`,
            params,
          );
    const updated = result.rows[0];
    if (updated) return { applied: true, run: toRun(updated) };
    const current = await this.get(id);
    if (!current) throw new NotFoundError('run', id);
    return { applied: false, run: current };
  }

  /**
   * A failed run back to running, for recovery to run it again: its error and
   * finish time are cleared (the next end records them). undefined when the
   * run is not failed (any more).
   */
  async reopen(id: string): Promise<RunRecord | undefined> {
    const result = await this.db.query(
      `UPDATE runs SET status = 'running', error = NULL, finished_at = NULL
       WHERE id = $1 AND status = 'failed' RETURNING *`,
      [id],
    );
    return result.rows[0] ? toRun(result.rows[0]) : undefined;
  }

  /** Newest first. */
  async list(filter: RunFilter = {}): Promise<Page<RunRecord>> {
    const where = new SqlFilter();
    if (filter.pipelineId) where.equals('pipeline_id', filter.pipelineId);
    if (typeof filter.status === 'string') where.equals('status', filter.status);
    else if (filter.status) where.whereIn('status', filter.status);
    return listPage(this.db, newestFirst('runs', 'created_at', where), filter, toRun);
  }
}
