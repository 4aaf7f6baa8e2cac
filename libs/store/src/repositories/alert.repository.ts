import { z } from 'zod';
import { Alert } from '@aoe/contracts';
import type { Clock } from '../clock';
import type { Database } from '../database/database';
import { listPage, newestFirst, SqlFilter, type Page, type PageRequest } from './pagination';
import { iso, isoOrUndefined, jsonParam, orUndefined, parseRow, timestamp, type RawRow } from './rows';

export type AlertRecord = Alert & {
  /** When a person acknowledged it; absent while it is open. */
  acknowledgedAt?: string;
};

export interface AlertFilter extends PageRequest {
  pipelineId?: string;
  runId?: string;
  severity?: Alert['severity'];
  /** true: only unacknowledged alerts; false: only acknowledged ones. */
  open?: boolean;
}

const field = Alert.shape;

const AlertRow = z
  .object({
    id: field.id,
    pipeline_id: field.pipelineId.unwrap().nullable(),
    run_id: field.runId.unwrap().nullable(),
    kind: field.kind,
    severity: field.severity,
    message: field.message,
    evidence: field.evidence,
    at: timestamp,
    acknowledged_at: timestamp.nullable(),
  })
  .transform((row): AlertRecord => ({
    id: row.id,
    pipelineId: orUndefined(row.pipeline_id),
    runId: orUndefined(row.run_id),
    kind: row.kind,
    severity: row.severity,
    message: row.message,
    evidence: row.evidence,
    at: iso(row.at),
    acknowledgedAt: isoOrUndefined(row.acknowledged_at),
  }));

const toAlert = (row: RawRow) => parseRow(AlertRow, row, 'alerts', ['id']);

export class AlertRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Returns false when an alert with this id was already recorded (a redelivered event). */
  async record(alert: Alert): Promise<boolean> {
    const a = Alert.parse(alert);
    const result = await this.db.query(
      `INSERT INTO alerts (id, pipeline_id, run_id, kind, severity, message, evidence, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
       ON CONFLICT (id) DO NOTHING`,
      [a.id, a.pipelineId ?? null, a.runId ?? null, a.kind, a.severity, a.message, jsonParam(a.evidence), a.at],
    );
    return result.rowCount === 1;
  }

  async get(id: string): Promise<AlertRecord | undefined> {
    const result = await this.db.query('SELECT * FROM alerts WHERE id = $1', [id]);
    return result.rows[0] ? toAlert(result.rows[0]) : undefined;
  }

  /** Keeps the first acknowledgement time; undefined when there is no such alert. */
  async acknowledge(id: string, at: string = iso(this.clock.now())): Promise<AlertRecord | undefined> {
    const result = await this.db.query(
      'UPDATE alerts SET acknowledged_at = COALESCE(acknowledged_at, $2::timestamptz) WHERE id = $1 RETURNING *',
      [id, at],
    );
    return result.rows[0] ? toAlert(result.rows[0]) : undefined;
  }

  /** Newest first. */
  async list(filter: AlertFilter = {}): Promise<Page<AlertRecord>> {
    const where = new SqlFilter();
    if (filter.pipelineId) where.equals('pipeline_id', filter.pipelineId);
    if (filter.runId) where.equals('run_id', filter.runId);
    if (filter.severity) where.equals('severity', filter.severity);
    if (filter.open !== undefined) where.whereSql(`acknowledged_at IS ${filter.open ? '' : 'NOT '}NULL`);
    return listPage(this.db, newestFirst('alerts', 'at', where), filter, toAlert);
  }
}
