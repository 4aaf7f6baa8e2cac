import type { RowFailure } from '../errors';

/** One row set aside with why and where it came from. */
export interface QuarantineRecord {
  runId: string;
  taskId: string;
  /** Where the row came from in the source (`orders.csv:17`); with run and task, the record's identity. */
  position: string;
  reason: string;
  /** The row (JSON-safe), or `{ raw }` for a record the source could not parse. */
  row: Record<string, unknown>;
  stage: RowFailure['stage'];
}

/**
 * Where quarantined rows go. Writes are idempotent on (runId, taskId,
 * position): a retried task quarantines the same rows again without
 * duplicating them.
 */
export interface QuarantineSink {
  write(records: readonly QuarantineRecord[]): Promise<void>;
}

/** Keeps quarantined rows in memory: for tests and dry runs. */
export class InMemoryQuarantineSink implements QuarantineSink {
  private readonly byIdentity = new Map<string, QuarantineRecord>();

  async write(records: readonly QuarantineRecord[]): Promise<void> {
    for (const record of records) {
      const identity = JSON.stringify([record.runId, record.taskId, record.position]);
      if (!this.byIdentity.has(identity)) this.byIdentity.set(identity, record);
    }
  }

  get records(): QuarantineRecord[] {
    return [...this.byIdentity.values()];
  }

  clear(): void {
    this.byIdentity.clear();
  }
}
