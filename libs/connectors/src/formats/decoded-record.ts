import type { Batch, CursorState, RejectedRecord, Row } from '../connector';

/** One record out of a decoder: a row with where it came from, or a rejection with why. */
export type DecodedRecord = { row: Row; position: string } | { rejected: RejectedRecord };

/** Decoders yield small arrays of records: per-record async iteration costs more than the data. */
export const DECODE_CHUNK = 256;

/** Longest `raw` kept for a rejected record: enough to see what went wrong, bounded. */
export const MAX_RAW = 4096;

export function truncateRaw(raw: string): string {
  return raw.length > MAX_RAW ? `${raw.slice(0, MAX_RAW)}…` : raw;
}

/**
 * Gathers decoded records into batches of `batchSize` (rows and rejections
 * both count, so a file of nothing but bad lines still moves in bounded batches).
 */
export class BatchBuilder {
  private rows: Row[] = [];
  private positions: string[] = [];
  private rejected: RejectedRecord[] = [];

  constructor(private readonly batchSize: number) {}

  add(record: DecodedRecord): void {
    if ('rejected' in record) {
      this.rejected.push(record.rejected);
    } else {
      this.rows.push(record.row);
      this.positions.push(record.position);
    }
  }

  get full(): boolean {
    return this.rows.length + this.rejected.length >= this.batchSize;
  }

  get empty(): boolean {
    return this.rows.length === 0 && this.rejected.length === 0;
  }

  take(bytes: number, cursor?: CursorState): Batch {
    const batch: Batch = { rows: this.rows, positions: this.positions, rejected: this.rejected, bytes };
    if (cursor) batch.cursor = cursor;
    this.rows = [];
    this.positions = [];
    this.rejected = [];
    return batch;
  }
}
