import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SourceSpec, type SourceKind } from '@aoe/contracts';
import type { Clock } from '../clock';
import type { Database } from '../database/database';
import { isUniqueViolation } from '../database/sql-errors';
import { ConflictError } from '../errors';
import { listPage, newestFirst, SqlFilter, type Page, type PageRequest } from './pagination';
import { firstRow, iso, jsonParam, parseRow, timestamp, type RawRow } from './rows';

export const SourceStatus = z.enum(['registered', 'analyzing', 'profiled', 'failed']);
export type SourceStatus = z.infer<typeof SourceStatus>;

export interface SourceRecord {
  id: string;
  name: string;
  kind: SourceKind;
  spec: SourceSpec;
  status: SourceStatus;
  createdAt: string;
  updatedAt: string;
}

export interface NewSource {
  /** Default: a random UUID. */
  id?: string;
  /** Unique among sources. Default: the id. */
  name?: string;
  spec: SourceSpec;
  status?: SourceStatus;
}

export interface SourceFilter extends PageRequest {
  status?: SourceStatus;
  kind?: SourceKind;
}

const SourceRow = z
  .object({
    id: z.string(),
    name: z.string(),
    spec: SourceSpec,
    status: SourceStatus,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .transform((row): SourceRecord => ({
    id: row.id,
    name: row.name,
    kind: row.spec.kind,
    spec: row.spec,
    status: row.status,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  }));

const toSource = (row: RawRow) => parseRow(SourceRow, row, 'sources', ['id']);

export class SourceRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Throws ConflictError when the id or the name is taken. */
  async create(input: NewSource): Promise<SourceRecord> {
    const id = input.id ?? randomUUID();
    const spec = SourceSpec.parse(input.spec);
    const now = iso(this.clock.now());
    try {
      const result = await this.db.query(
        `INSERT INTO sources (id, name, kind, spec, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $6) RETURNING *`,
        [id, input.name ?? id, spec.kind, jsonParam(spec), input.status ?? 'registered', now],
      );
      return toSource(firstRow(result.rows));
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError(`a source with id "${id}" or name "${input.name ?? id}" exists`, error);
      throw error;
    }
  }

  async get(id: string): Promise<SourceRecord | undefined> {
    const result = await this.db.query('SELECT * FROM sources WHERE id = $1', [id]);
    return result.rows[0] ? toSource(result.rows[0]) : undefined;
  }

  async getByName(name: string): Promise<SourceRecord | undefined> {
    const result = await this.db.query('SELECT * FROM sources WHERE name = $1', [name]);
    return result.rows[0] ? toSource(result.rows[0]) : undefined;
  }

  async updateStatus(id: string, status: SourceStatus): Promise<SourceRecord | undefined> {
    const result = await this.db.query('UPDATE sources SET status = $2, updated_at = $3 WHERE id = $1 RETURNING *', [
      id,
      status,
      iso(this.clock.now()),
    ]);
    return result.rows[0] ? toSource(result.rows[0]) : undefined;
  }

  /** Newest first. */
  async list(filter: SourceFilter = {}): Promise<Page<SourceRecord>> {
    const where = new SqlFilter();
    if (filter.status) where.equals('status', filter.status);
    if (filter.kind) where.equals('kind', filter.kind);
    return listPage(this.db, newestFirst('sources', 'created_at', where), filter, toSource);
  }
}
