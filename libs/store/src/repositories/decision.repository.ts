import { z } from 'zod';
import { AgentDecision } from '@aoe/contracts';
import type { Database } from '../database/database';
import { listPage, newestFirst, SqlFilter, type Page, type PageRequest } from './pagination';
import { iso, jsonParam, orUndefined, parseRow, timestamp, type RawRow } from './rows';

export interface DecisionFilter extends PageRequest {
  /** The pipeline, run or source the decisions are about. */
  subjectId?: string;
  correlationId?: string;
  agent?: AgentDecision['agent'];
}

const field = AgentDecision.shape;

const DecisionRow = z
  .object({
    id: field.id,
    agent: field.agent,
    subject_id: field.subjectId,
    correlation_id: field.correlationId.unwrap().nullable(),
    input_digest: field.inputDigest,
    choice: field.choice,
    rationale: field.rationale,
    decided_by: field.decidedBy,
    model: field.model.unwrap().nullable(),
    latency_ms: field.latencyMs,
    accepted: field.accepted,
    rejection_reason: field.rejectionReason.unwrap().nullable(),
    at: timestamp,
  })
  .transform((row): AgentDecision => ({
    id: row.id,
    agent: row.agent,
    subjectId: row.subject_id,
    correlationId: orUndefined(row.correlation_id),
    inputDigest: row.input_digest,
    choice: row.choice,
    rationale: row.rationale,
    decidedBy: row.decided_by,
    model: orUndefined(row.model),
    latencyMs: row.latency_ms,
    accepted: row.accepted,
    rejectionReason: orUndefined(row.rejection_reason),
    at: iso(row.at),
  }));

const toDecision = (row: RawRow) => parseRow(DecisionRow, row, 'agent_decisions', ['id']);

/** The audit trail of agent decisions: why a pipeline looks as it does. */
export class DecisionRepository {
  constructor(private readonly db: Database) {}

  /** Returns false when a decision with this id was already recorded (a redelivered event). */
  async record(decision: AgentDecision): Promise<boolean> {
    const d = AgentDecision.parse(decision);
    const result = await this.db.query(
      `INSERT INTO agent_decisions (id, agent, subject_id, correlation_id, input_digest, choice, rationale,
         decided_by, model, latency_ms, accepted, rejection_reason, at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (id) DO NOTHING`,
      [
        d.id,
        d.agent,
        d.subjectId,
        d.correlationId ?? null,
        d.inputDigest,
        jsonParam(d.choice),
        d.rationale,
        d.decidedBy,
        d.model ?? null,
        d.latencyMs,
        d.accepted,
        d.rejectionReason ?? null,
        d.at,
      ],
    );
    return result.rowCount === 1;
  }

  async get(id: string): Promise<AgentDecision | undefined> {
    const result = await this.db.query('SELECT * FROM agent_decisions WHERE id = $1', [id]);
    return result.rows[0] ? toDecision(result.rows[0]) : undefined;
  }

  /** The newest accepted decision an agent made for the same input digest (a cache hit). */
  async latestForInput(agent: AgentDecision['agent'], inputDigest: string): Promise<AgentDecision | undefined> {
    const result = await this.db.query(
      `SELECT * FROM agent_decisions WHERE agent = $1 AND input_digest = $2 AND accepted
       ORDER BY at DESC, id DESC LIMIT 1`,
      [agent, inputDigest],
    );
    return result.rows[0] ? toDecision(result.rows[0]) : undefined;
  }

  /** Newest first. */
  async list(filter: DecisionFilter = {}): Promise<Page<AgentDecision>> {
    const where = new SqlFilter();
    if (filter.subjectId) where.equals('subject_id', filter.subjectId);
    if (filter.correlationId) where.equals('correlation_id', filter.correlationId);
    if (filter.agent) where.equals('agent', filter.agent);
    return listPage(this.db, newestFirst('agent_decisions', 'at', where), filter, toDecision);
  }
}
