import { z } from 'zod';
import type { Clock } from '../clock';
import type { Database } from '../database/database';
import { isForeignKeyViolation } from '../database/sql-errors';
import { ConflictError } from '../errors';
import { listPage, SqlFilter, type Page, type PageRequest } from './pagination';
import { firstRow, iso, jsonParam, parseRow, timestamp, type RawRow } from './rows';

/** Whatever the engine needs to resume a stream (high-water mark, keys seen at it): any JSON value. */
export const CheckpointCursor = z.json();
export type CheckpointCursor = z.infer<typeof CheckpointCursor>;

export interface CheckpointRecord {
  pipelineId: string;
  stream: string;
  cursor: CheckpointCursor;
  updatedAt: string;
}

const CheckpointRow = z
  .object({ pipeline_id: z.string(), stream: z.string(), cursor: CheckpointCursor, updated_at: timestamp })
  .transform((row): CheckpointRecord => ({
    pipelineId: row.pipeline_id,
    stream: row.stream,
    cursor: row.cursor,
    updatedAt: iso(row.updated_at),
  }));

const toCheckpoint = (row: RawRow) => parseRow(CheckpointRow, row, 'checkpoints', ['pipeline_id', 'stream']);

/** Incremental-load cursors per pipeline and stream, as the control plane last saw them. */
export class CheckpointRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  async get(pipelineId: string, stream: string): Promise<CheckpointRecord | undefined> {
    const result = await this.db.query('SELECT * FROM checkpoints WHERE pipeline_id = $1 AND stream = $2', [
      pipelineId,
      stream,
    ]);
    return result.rows[0] ? toCheckpoint(result.rows[0]) : undefined;
  }

  /** Inserts or replaces the cursor. Throws ConflictError when the pipeline does not exist. */
  async put(pipelineId: string, stream: string, cursor: CheckpointCursor): Promise<CheckpointRecord> {
    try {
      const result = await this.db.query(
        `INSERT INTO checkpoints (pipeline_id, stream, cursor, updated_at) VALUES ($1, $2, $3::jsonb, $4)
         ON CONFLICT (pipeline_id, stream) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
         RETURNING *`,
        [pipelineId, stream, jsonParam(CheckpointCursor.parse(cursor)), iso(this.clock.now())],
      );
      return toCheckpoint(firstRow(result.rows));
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new ConflictError(`pipeline "${pipelineId}" does not exist`, error);
      throw error;
    }
  }

  /** Forgets one stream's cursor, or all of the pipeline's; the next load starts from scratch. Returns how many. */
  async reset(pipelineId: string, stream?: string): Promise<number> {
    const result =
      stream === undefined
        ? await this.db.query('DELETE FROM checkpoints WHERE pipeline_id = $1', [pipelineId])
        : await this.db.query('DELETE FROM checkpoints WHERE pipeline_id = $1 AND stream = $2', [pipelineId, stream]);
    return result.rowCount;
  }

  /** In stream order. */
  async list(pipelineId: string, page: PageRequest = {}): Promise<Page<CheckpointRecord>> {
    return listPage(
      this.db,
      {
        table: 'checkpoints',
        filter: new SqlFilter().equals('pipeline_id', pipelineId),
        keys: [{ column: 'stream', type: 'text' }],
        direction: 'asc',
      },
      page,
      toCheckpoint,
    );
  }
}
