import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock';
import type { Database } from '../database/database';
import { listPage, newestFirst, SqlFilter, type Page, type PageRequest } from './pagination';
import { firstRow, iso, orUndefined, parseRow, timestamp, type RawRow } from './rows';

export const AuditResult = z.enum(['succeeded', 'failed', 'denied']);
export type AuditResult = z.infer<typeof AuditResult>;

/** Who did what, when, and how it ended. */
export interface AuditRecord {
  id: string;
  /** The principal: `key:<id>`, `jwt:<sub>`, or `anonymous`. */
  actor: string;
  /** The operation, e.g. `POST /v1/runs` or `grpc StartRun`. */
  action: string;
  /** The id the operation was about, when there is one. */
  target?: string;
  result: AuditResult;
  statusCode: number;
  requestId?: string;
  at: string;
}

export type NewAuditRecord = Omit<AuditRecord, 'id' | 'at'> & { id?: string; at?: string };

export interface AuditFilter extends PageRequest {
  actor?: string;
}

const AuditRow = z
  .object({
    id: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string().nullable(),
    result: AuditResult,
    status_code: z.number().int(),
    request_id: z.string().nullable(),
    at: timestamp,
  })
  .transform((row): AuditRecord => ({
    id: row.id,
    actor: row.actor,
    action: row.action,
    target: orUndefined(row.target),
    result: row.result,
    statusCode: row.status_code,
    requestId: orUndefined(row.request_id),
    at: iso(row.at),
  }));

const toAudit = (row: RawRow) => parseRow(AuditRow, row, 'audit_records', ['id']);

/** The append-only audit trail of writes through the gateway. */
export class AuditRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  async record(input: NewAuditRecord): Promise<AuditRecord> {
    const result = await this.db.query(
      `INSERT INTO audit_records (id, actor, action, target, result, status_code, request_id, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [
        input.id ?? randomUUID(),
        input.actor,
        input.action,
        input.target ?? null,
        AuditResult.parse(input.result),
        input.statusCode,
        input.requestId ?? null,
        input.at ?? iso(this.clock.now()),
      ],
    );
    return toAudit(firstRow(result.rows));
  }

  /** Newest first. */
  async list(filter: AuditFilter = {}): Promise<Page<AuditRecord>> {
    const where = new SqlFilter();
    if (filter.actor) where.equals('actor', filter.actor);
    return listPage(this.db, newestFirst('audit_records', 'at', where), filter, toAudit);
  }
}
