import type { SourceProfile } from '@aoe/contracts';
import type { ColumnSchema, Row, SourceConnector } from '@aoe/connectors';
import type { ProfileLimits } from '../profile-limits';

/** What a source's own metadata says, before and beside the sample. */
export interface ProbeResult {
  /** The connector the sample is read from (for PostgreSQL, a TABLESAMPLE or LIMIT query). */
  sampler: SourceConnector;
  /** Columns the source declares (pg_catalog, a Parquet schema), in their order. */
  declared?: ColumnSchema[];
  /** A PRIMARY KEY constraint. */
  primaryKey?: string[];
  /** Unique indexes over NOT NULL columns. */
  uniqueKeys?: string[][];
  format?: SourceProfile['format'];
  encoding?: string;
  delimiter?: string;
  compression?: 'none' | 'gzip';
  /** Bytes of the whole source (relation size, file and object sizes). */
  sizeBytes?: number;
  /** Values arrive as CSV text: types are inferred as CSV cells are. */
  textValues: boolean;
  /** The sample is spread over the whole source (TABLESAMPLE), not its first rows. */
  spreadSample: boolean;
  /** A row count the source states (catalog statistics, Parquet footers, an API's total), and where it comes from. */
  rowCount?: { value: number; from: string };
  /**
   * For a source that states no row count: the bytes its rows take (uncompressed, for gzip an estimate
   * from the head's compression ratio), to divide by the bytes per sampled row plus `overheadPerRow`.
   * With `rowBytes`, a row's bytes are measured on the row itself (its CSV or JSON text); else the
   * connector's byte count per row is used.
   */
  sizeForEstimate?: {
    bytes: number;
    overheadPerRow: number;
    rowBytes?: (row: Row) => number;
    tailBytesPerRow?: number;
  };
  /** Distinct counts the catalog knows (pg_stats), by column. */
  distinct?: Map<string, number>;
  /** Releases what the probe holds. */
  close(): Promise<void>;
}

export interface ProbeContext {
  limits: ProfileLimits;
  signal?: AbortSignal;
}
