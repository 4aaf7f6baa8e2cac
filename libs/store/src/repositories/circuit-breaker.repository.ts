import { z } from 'zod';
import type { Clock } from '../clock';
import type { Database } from '../database/database';
import { iso, isoOrUndefined, orUndefined, parseRow, timestamp, type RawRow } from './rows';

/** open: runs are refused until retryAt; half-open: retryAt has passed, the next run probes; closed: runs go. */
export type CircuitState = 'open' | 'half-open' | 'closed';

export interface CircuitBreakerRecord {
  sourceId: string;
  state: CircuitState;
  /** How many times it opened since it last closed. */
  trips: number;
  reason?: string;
  openedAt?: string;
  retryAt?: string;
  updatedAt: string;
}

const CircuitRow = z.object({
  source_id: z.string(),
  state: z.enum(['open', 'closed']),
  trips: z.number().int(),
  reason: z.string().nullable(),
  opened_at: timestamp.nullable(),
  retry_at: timestamp.nullable(),
  updated_at: timestamp,
});

export class CircuitBreakerRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  private toCircuit(raw: RawRow): CircuitBreakerRecord {
    const row = parseRow(CircuitRow, raw, 'circuit_breakers', ['source_id']);
    const retryAt = isoOrUndefined(row.retry_at);
    const state: CircuitState =
      row.state === 'closed'
        ? 'closed'
        : retryAt && Date.parse(retryAt) > this.clock.now().getTime()
          ? 'open'
          : 'half-open';
    return {
      sourceId: row.source_id,
      state,
      trips: row.trips,
      reason: orUndefined(row.reason),
      openedAt: isoOrUndefined(row.opened_at),
      retryAt,
      updatedAt: iso(row.updated_at),
    };
  }

  /** The source's circuit; closed when none was ever opened. */
  async get(sourceId: string): Promise<CircuitBreakerRecord> {
    const result = await this.db.query('SELECT * FROM circuit_breakers WHERE source_id = $1', [sourceId]);
    if (result.rows[0]) return this.toCircuit(result.rows[0]);
    return { sourceId, state: 'closed', trips: 0, updatedAt: iso(this.clock.now()) };
  }

  /** Opens (or re-opens) the circuit until retryAt, counting the trip. */
  async open(sourceId: string, input: { retryAt: string; reason: string }): Promise<CircuitBreakerRecord> {
    const now = iso(this.clock.now());
    const result = await this.db.query(
      `INSERT INTO circuit_breakers AS c (source_id, state, trips, reason, opened_at, retry_at, updated_at)
       VALUES ($1, 'open', 1, $2, $3, $4, $3)
       ON CONFLICT (source_id) DO UPDATE SET
         state = 'open', trips = c.trips + 1, reason = excluded.reason,
         opened_at = excluded.opened_at, retry_at = excluded.retry_at, updated_at = excluded.updated_at
       RETURNING *`,
      [sourceId, input.reason, now, input.retryAt],
    );
    return this.toCircuit(result.rows[0]);
  }

  /** Closes an open circuit (a run on the source succeeded); false when it was not open. */
  async close(sourceId: string): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE circuit_breakers SET state = 'closed', trips = 0, retry_at = NULL, updated_at = $2
       WHERE source_id = $1 AND state = 'open'`,
      [sourceId, iso(this.clock.now())],
    );
    return result.rowCount === 1;
  }
}
