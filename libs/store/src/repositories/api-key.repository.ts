import { z } from 'zod';
import type { Clock } from '../clock';
import type { Database } from '../database/database';
import { isUniqueViolation } from '../database/sql-errors';
import { ConflictError } from '../errors';
import { listPage, newestFirst, SqlFilter, type Page, type PageRequest } from './pagination';
import { firstRow, iso, isoOrUndefined, parseRow, timestamp, type RawRow } from './rows';

export const ApiKeyScope = z.enum(['read', 'write', 'admin']);
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

/** An API key as stored: never the secret, only its hash. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  scope: ApiKeyScope;
  /** Hex digest of the secret (the gateway decides the hash). */
  secretHash: string;
  createdBy: string;
  createdAt: string;
  /** Set once the key is revoked; a revoked key never authenticates again. */
  revokedAt?: string;
}

export interface NewApiKey {
  id: string;
  name: string;
  scope: ApiKeyScope;
  secretHash: string;
  createdBy: string;
}

export interface ApiKeyFilter extends PageRequest {
  /** true: only revoked keys; false: only active ones. */
  revoked?: boolean;
}

const ApiKeyRow = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: ApiKeyScope,
    secret_hash: z.string(),
    created_by: z.string(),
    created_at: timestamp,
    revoked_at: timestamp.nullable(),
  })
  .transform((row): ApiKeyRecord => ({
    id: row.id,
    name: row.name,
    scope: row.scope,
    secretHash: row.secret_hash,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    revokedAt: isoOrUndefined(row.revoked_at),
  }));

const toApiKey = (row: RawRow) => parseRow(ApiKeyRow, row, 'api_keys', ['id']);

export class ApiKeyRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Throws ConflictError when the id is taken. */
  async create(input: NewApiKey): Promise<ApiKeyRecord> {
    try {
      const result = await this.db.query(
        `INSERT INTO api_keys (id, name, scope, secret_hash, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [
          input.id,
          input.name,
          ApiKeyScope.parse(input.scope),
          input.secretHash,
          input.createdBy,
          iso(this.clock.now()),
        ],
      );
      return toApiKey(firstRow(result.rows));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`api key "${input.id}" exists`, error);
      throw error;
    }
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const result = await this.db.query('SELECT * FROM api_keys WHERE id = $1', [id]);
    return result.rows[0] ? toApiKey(result.rows[0]) : undefined;
  }

  /** Keeps the first revocation time; undefined when there is no such key. */
  async revoke(id: string, at: string = iso(this.clock.now())): Promise<ApiKeyRecord | undefined> {
    const result = await this.db.query(
      'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2::timestamptz) WHERE id = $1 RETURNING *',
      [id, at],
    );
    return result.rows[0] ? toApiKey(result.rows[0]) : undefined;
  }

  /** Newest first. */
  async list(filter: ApiKeyFilter = {}): Promise<Page<ApiKeyRecord>> {
    const where = new SqlFilter();
    if (filter.revoked !== undefined) where.whereSql(`revoked_at IS ${filter.revoked ? 'NOT ' : ''}NULL`);
    return listPage(this.db, newestFirst('api_keys', 'created_at', where), filter, toApiKey);
  }
}
