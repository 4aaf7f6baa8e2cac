import { z } from 'zod';
import { PipelinePlan } from '@aoe/contracts';
import type { Database } from '../database/database';
import { isForeignKeyViolation, isUniqueViolation } from '../database/sql-errors';
import { ConflictError } from '../errors';
import { listPage, SqlFilter, type Page, type PageRequest } from './pagination';
import { firstRow, iso, jsonParam, parseRow, timestamp, type RawRow } from './rows';

export interface PlanVersionRecord {
  pipelineId: string;
  version: number;
  plan: PipelinePlan;
  createdBy: PipelinePlan['createdBy'];
  createdAt: string;
}

const PlanVersionRow = z
  .object({
    pipeline_id: z.string(),
    version: z.number().int(),
    plan: PipelinePlan,
    created_by: PipelinePlan.shape.createdBy,
    created_at: timestamp,
  })
  .transform((row): PlanVersionRecord => ({
    pipelineId: row.pipeline_id,
    version: row.version,
    plan: row.plan,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
  }));

const toPlanVersion = (row: RawRow) => parseRow(PlanVersionRow, row, 'plan_versions', ['pipeline_id', 'version']);

export type ExtractMode = 'full' | 'incremental';

/** Plans are immutable: a change is a new version; the pipeline points at its current one. */
export class PlanRepository {
  constructor(private readonly db: Database) {}

  /** Stores plan.version of plan.pipelineId; ConflictError if that version exists or the pipeline does not. */
  async save(plan: PipelinePlan): Promise<PlanVersionRecord> {
    const parsed = PipelinePlan.parse(plan);
    try {
      const result = await this.db.query(
        `INSERT INTO plan_versions (pipeline_id, version, plan, created_by, created_at)
         VALUES ($1, $2, $3::jsonb, $4, $5) RETURNING *`,
        [parsed.pipelineId, parsed.version, jsonParam(parsed), parsed.createdBy, parsed.createdAt],
      );
      return toPlanVersion(firstRow(result.rows));
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(`pipeline "${parsed.pipelineId}" already has plan version ${parsed.version}`, error);
      }
      if (isForeignKeyViolation(error))
        throw new ConflictError(`pipeline "${parsed.pipelineId}" does not exist`, error);
      throw error;
    }
  }

  async get(pipelineId: string, version: number): Promise<PlanVersionRecord | undefined> {
    const result = await this.db.query('SELECT * FROM plan_versions WHERE pipeline_id = $1 AND version = $2', [
      pipelineId,
      version,
    ]);
    return result.rows[0] ? toPlanVersion(result.rows[0]) : undefined;
  }

  async latest(pipelineId: string): Promise<PlanVersionRecord | undefined> {
    const result = await this.db.query(
      'SELECT * FROM plan_versions WHERE pipeline_id = $1 ORDER BY version DESC LIMIT 1',
      [pipelineId],
    );
    return result.rows[0] ? toPlanVersion(result.rows[0]) : undefined;
  }

  /** The version a new plan of the pipeline should carry (1 for the first). */
  async nextVersion(pipelineId: string): Promise<number> {
    const result = await this.db.query<{ next: number }>(
      'SELECT COALESCE(MAX(version), 0) + 1 AS next FROM plan_versions WHERE pipeline_id = $1',
      [pipelineId],
    );
    return z.number().int().parse(result.rows[0]?.next);
  }

  /**
   * The extract mode ('full' or 'incremental') of each plan version from
   * `fromVersion` up, undefined for a plan without one: read in SQL, without
   * reading and checking whole plans (what the optimizer's run history needs
   * for up to a hundred runs).
   */
  async extractModes(pipelineId: string, fromVersion: number): Promise<Map<number, ExtractMode | undefined>> {
    const result = await this.db.query<{ version: number; mode: string | null }>(
      `SELECT version,
              (SELECT task->'params'->>'mode' FROM jsonb_array_elements(plan->'tasks') AS task
                WHERE task->>'kind' = 'extract' LIMIT 1) AS mode
         FROM plan_versions WHERE pipeline_id = $1 AND version >= $2`,
      [pipelineId, fromVersion],
    );
    return new Map(
      result.rows.map(({ version, mode }) => [
        Number(version),
        mode === 'full' || mode === 'incremental' ? mode : undefined,
      ]),
    );
  }

  /** Newest version first. */
  async list(pipelineId: string, page: PageRequest = {}): Promise<Page<PlanVersionRecord>> {
    return listPage(
      this.db,
      {
        table: 'plan_versions',
        filter: new SqlFilter().equals('pipeline_id', pipelineId),
        keys: [{ column: 'version', type: 'integer' }],
        direction: 'desc',
      },
      page,
      toPlanVersion,
    );
  }
}
