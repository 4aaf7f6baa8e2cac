import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DeadLetter } from '@aoe/contracts';
import type { Clock } from '../clock';
import type { Database } from '../database/database';
import { listPage, newestFirst, SqlFilter, type Page, type PageRequest } from './pagination';
import { iso, isoOrUndefined, jsonParam, parseRow, timestamp, type RawRow } from './rows';

export interface DeadLetterRecord {
  id: string;
  deadLetter: DeadLetter;
  /** The last time it was replayed; absent if never. */
  replayedAt?: string;
}

export interface DeadLetterFilter extends PageRequest {
  service?: string;
  /** true: only replayed ones; false: only those never replayed. */
  replayed?: boolean;
}

const DeadLetterRow = z
  .object({ id: z.string(), payload: DeadLetter, replayed_at: timestamp.nullable() })
  .transform((row): DeadLetterRecord => ({
    id: row.id,
    deadLetter: row.payload,
    replayedAt: isoOrUndefined(row.replayed_at),
  }));

const toDeadLetter = (row: RawRow) => parseRow(DeadLetterRow, row, 'dead_letters', ['id']);

/** Dead letters kept for people to inspect and replay. Columns beside payload copy its fields for queries. */
export class DeadLetterRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Stores a dead letter. Give a stable id (e.g. stream and sequence) to make a
   * redelivery a no-op: the row already stored under that id is returned.
   */
  async record(deadLetter: DeadLetter, id: string = randomUUID()): Promise<DeadLetterRecord> {
    const d = DeadLetter.parse(deadLetter);
    await this.db.query(
      `INSERT INTO dead_letters (id, service, original_subject, payload, reason, kind, attempts, failed_at)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8)
       ON CONFLICT (id) DO NOTHING`,
      [id, d.service, d.originalSubject, jsonParam(d), d.reason, d.kind, d.attempts, d.failedAt],
    );
    const stored = await this.get(id);
    if (!stored) throw new Error(`dead letter ${id} vanished right after it was recorded`);
    return stored;
  }

  async get(id: string): Promise<DeadLetterRecord | undefined> {
    const result = await this.db.query('SELECT * FROM dead_letters WHERE id = $1', [id]);
    return result.rows[0] ? toDeadLetter(result.rows[0]) : undefined;
  }

  /** Undefined when there is no such dead letter. */
  async markReplayed(id: string, at: string = iso(this.clock.now())): Promise<DeadLetterRecord | undefined> {
    const result = await this.db.query('UPDATE dead_letters SET replayed_at = $2 WHERE id = $1 RETURNING *', [id, at]);
    return result.rows[0] ? toDeadLetter(result.rows[0]) : undefined;
  }

  /** Newest failure first. */
  async list(filter: DeadLetterFilter = {}): Promise<Page<DeadLetterRecord>> {
    const where = new SqlFilter();
    if (filter.service) where.equals('service', filter.service);
    if (filter.replayed !== undefined) where.whereSql(`replayed_at IS ${filter.replayed ? 'NOT ' : ''}NULL`);
    return listPage(this.db, newestFirst('dead_letters', 'failed_at', where), filter, toDeadLetter);
  }
}
