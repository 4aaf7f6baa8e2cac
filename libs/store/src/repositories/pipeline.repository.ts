import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { TargetPolicy, TargetSpec } from '@aoe/contracts';
import type { Clock } from '../clock';
import type { Database } from '../database/database';
import { isForeignKeyViolation, isUniqueViolation } from '../database/sql-errors';
import { ConflictError } from '../errors';
import { listPage, newestFirst, SqlFilter, type Page, type PageRequest } from './pagination';
import { firstRow, iso, jsonParam, orUndefined, parseRow, timestamp, type RawRow } from './rows';

export const PipelineStatus = z.enum(['active', 'paused', 'deleted']);
export type PipelineStatus = z.infer<typeof PipelineStatus>;

export interface PipelineRecord {
  id: string;
  sourceId: string;
  name: string;
  target: TargetSpec;
  policy: TargetPolicy;
  status: PipelineStatus;
  /** A cron expression, when the pipeline runs on a schedule. */
  schedule?: string;
  /** The plan version new runs use; absent until a plan is activated. */
  currentPlanVersion?: number;
  createdAt: string;
  updatedAt: string;
}

export interface NewPipeline {
  /** Default: a random UUID. */
  id?: string;
  sourceId: string;
  name: string;
  target: TargetSpec;
  policy?: TargetPolicy;
  schedule?: string;
  status?: PipelineStatus;
}

export interface PipelineFilter extends PageRequest {
  sourceId?: string;
  status?: PipelineStatus;
  /** Deleted pipelines are left out unless asked for (or filtered by status). */
  includeDeleted?: boolean;
}

const DEFAULT_POLICY: TargetPolicy = { maskPii: false, schemaEvolution: 'additive' };

const PipelineRow = z
  .object({
    id: z.string(),
    source_id: z.string(),
    name: z.string(),
    target: TargetSpec,
    policy: TargetPolicy,
    status: PipelineStatus,
    schedule: z.string().nullable(),
    current_plan_version: z.number().int().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .transform((row): PipelineRecord => ({
    id: row.id,
    sourceId: row.source_id,
    name: row.name,
    target: row.target,
    policy: row.policy,
    status: row.status,
    schedule: orUndefined(row.schedule),
    currentPlanVersion: orUndefined(row.current_plan_version),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  }));

const toPipeline = (row: RawRow) => parseRow(PipelineRow, row, 'pipelines', ['id']);

export class PipelineRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Throws ConflictError when the id is taken or the source is not registered. */
  async create(input: NewPipeline): Promise<PipelineRecord> {
    const id = input.id ?? randomUUID();
    const target = TargetSpec.parse(input.target);
    const policy = TargetPolicy.parse(input.policy ?? DEFAULT_POLICY);
    const now = iso(this.clock.now());
    try {
      const result = await this.db.query(
        `INSERT INTO pipelines (id, source_id, name, target, policy, status, schedule, created_at, updated_at)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $8) RETURNING *`,
        [
          id,
          input.sourceId,
          input.name,
          jsonParam(target),
          jsonParam(policy),
          input.status ?? 'active',
          input.schedule ?? null,
          now,
        ],
      );
      return toPipeline(firstRow(result.rows));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`pipeline "${id}" exists`, error);
      if (isForeignKeyViolation(error)) throw new ConflictError(`source "${input.sourceId}" is not registered`, error);
      throw error;
    }
  }

  async get(id: string): Promise<PipelineRecord | undefined> {
    const result = await this.db.query('SELECT * FROM pipelines WHERE id = $1', [id]);
    return result.rows[0] ? toPipeline(result.rows[0]) : undefined;
  }

  async updateStatus(id: string, status: PipelineStatus): Promise<PipelineRecord | undefined> {
    return this.update(id, 'status = $2', [status]);
  }

  /** null removes the schedule. */
  async setSchedule(id: string, schedule: string | null): Promise<PipelineRecord | undefined> {
    return this.update(id, 'schedule = $2', [schedule]);
  }

  /** Throws ConflictError when that plan version of the pipeline was never saved. */
  async setCurrentPlanVersion(id: string, version: number): Promise<PipelineRecord | undefined> {
    try {
      return await this.update(id, 'current_plan_version = $2', [version]);
    } catch (error) {
      if (isForeignKeyViolation(error))
        throw new ConflictError(`pipeline "${id}" has no plan version ${version}`, error);
      throw error;
    }
  }

  /** Newest first. */
  async list(filter: PipelineFilter = {}): Promise<Page<PipelineRecord>> {
    const where = new SqlFilter();
    if (filter.sourceId) where.equals('source_id', filter.sourceId);
    if (filter.status) where.equals('status', filter.status);
    else if (!filter.includeDeleted) where.whereSql(`status <> 'deleted'`);
    return listPage(this.db, newestFirst('pipelines', 'created_at', where), filter, toPipeline);
  }

  private async update(
    id: string,
    assignment: string,
    values: Array<string | number | null>,
  ): Promise<PipelineRecord | undefined> {
    const result = await this.db.query(
      `UPDATE pipelines SET ${assignment}, updated_at = $${values.length + 2} WHERE id = $1 RETURNING *`,
      [id, ...values, iso(this.clock.now())],
    );
    return result.rows[0] ? toPipeline(result.rows[0]) : undefined;
  }
}
