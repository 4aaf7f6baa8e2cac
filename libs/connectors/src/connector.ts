import type { LoadMode, LogicalType, SourceKind } from '@aoe/contracts';

/**
 * The shape every connector has (after dlt): a check, a discover, and a
 * streaming read or write. Write semantics are declared hints (mode, key,
 * cursor), never code.
 */

/** A value as it travels between stages; Dates for timestamps, strings for decimals and bigints beyond 2^53. */
export type Value = string | number | boolean | null | Date | Uint8Array | Record<string, unknown> | unknown[];
export type Row = Record<string, Value>;

export interface ColumnSchema {
  name: string;
  type: LogicalType;
  nullable: boolean;
  /** The source's own type name, when it has one (pg_catalog, Parquet). */
  declaredType?: string;
}

export interface StreamSchema {
  /** A table name, a file or object name, or an endpoint. */
  name: string;
  columns: ColumnSchema[];
  /** A key declared by the source (a PRIMARY KEY constraint), not a guess. */
  primaryKey?: string[];
}

/** A row the source could not turn into a record (a ragged CSV line, invalid JSON), with where and why. */
export interface RejectedRecord {
  position: string;
  reason: string;
  raw: string;
}

/** Rows move in batches: per-row async iteration costs more than the data. */
export interface Batch {
  rows: Row[];
  /** Where each row came from (`orders.csv:17`, `s3://b/k.jsonl:3`, `page 4 #12`), aligned with rows. */
  positions: string[];
  rejected: RejectedRecord[];
  /** Bytes read from the source for this batch (compressed bytes where the source is compressed). */
  bytes: number;
  /**
   * The incremental state once this batch (and every batch before it) is loaded, for
   * sources whose cursor is not a column of the rows (object stores and file globs:
   * new objects by last-modified). Checkpoint the last one seen; absent for other sources.
   */
  cursor?: CursorState;
}

/**
 * Incremental state: the high-water mark of the cursor column plus the keys
 * already loaded at exactly that value, so rows that share the mark are
 * neither skipped nor loaded twice.
 */
export interface CursorState {
  column: string;
  value: string | number | null;
  keysAtValue: string[];
  /** Object-store sources: objects (key and last-modified) already loaded at the mark. */
  objects?: Array<{ key: string; lastModified: string }>;
}

export interface ReadOptions {
  batchSize: number;
  /** Read only what is past this state (incremental); absent for a full read. */
  cursor?: CursorState;
  cursorColumn?: string;
  /** Split the read into this many concurrent ranges where the source can. */
  partitions?: number;
  signal?: AbortSignal;
}

export interface CheckResult {
  ok: boolean;
  /** One line a person can act on, when not ok. */
  message?: string;
}

export interface SourceConnector {
  readonly kind: SourceKind;
  check(): Promise<CheckResult>;
  discover(): Promise<StreamSchema[]>;
  read(options: ReadOptions): AsyncIterable<Batch>;
}

export interface WriteOptions {
  runId: string;
  taskId: string;
  mode: LoadMode;
  schema: StreamSchema;
  primaryKey?: string[];
  schemaEvolution: 'additive' | 'any';
  /**
   * Committed with the data, in the same transaction where the target can
   * (PostgreSQL); called once after the last batch.
   */
  checkpoint?: { pipelineId: string; stream: string; state: () => CursorState | undefined };
  signal?: AbortSignal;
}

export interface WriteResult {
  rowsWritten: number;
  bytesWritten: number;
  /** Where the data now is: `postgres://…#schema.table`, `s3://bucket/prefix/…`, a path. */
  location: string;
}

export interface SinkConnector {
  readonly kind: 'postgres' | 'warehouse' | 's3' | 'directory';
  check(): Promise<CheckResult>;
  write(batches: AsyncIterable<Batch>, options: WriteOptions): Promise<WriteResult>;
}

/** Errors connectors raise, with a failure class the engine and recovery agent understand. */
export { ConnectorError } from './connector-error';
