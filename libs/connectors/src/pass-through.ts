import type { CursorState } from './connector';
import { ConnectorError } from './connector-error';
import type { CsvFieldChecker } from './formats/csv-field-checks';

/**
 * The pass-through fast path: data whose bytes PostgreSQL's COPY reads exactly
 * as our decoder would (a plain CSV file, another server's COPY text) goes
 * from the source to `COPY … FROM STDIN` without becoming JS values. The
 * engine takes it only when no stage needs values; anything the server or the
 * byte scan rejects sends the task back to the row path, before anything is
 * committed.
 */

/** How the bytes are laid out, as COPY's options say it. */
export type PassThroughFormat =
  | { kind: 'csv'; delimiter: string; header: boolean }
  /** COPY's own text format (tab-separated, `\N` for NULL), as `COPY … TO STDOUT` writes it. */
  | { kind: 'text' };

export interface PassThroughReader {
  /** Column names, in the order the data holds them. */
  readonly columns: readonly string[];
  readonly format: PassThroughFormat;
  /**
   * Every value is text the row path would hand over unchanged (CSV cells):
   * any target column type takes it as the row path would. Otherwise (typed
   * sources) the target's columns must have the data's own logical types.
   */
  readonly valuesAreText: boolean;
  /** The data; throws `PassThroughRejected` as soon as it cannot go through verbatim. */
  chunks(): AsyncIterable<Buffer>;
  /** Rows (records after any header) in the chunks handed out so far. */
  readonly rows: number;
  /** Source bytes read so far (before decompression). */
  readonly bytes: number;
  /** The incremental state once every chunk is loaded (file sources), like `Batch.cursor`. */
  cursor(): CursorState | undefined;
  /** Releases what the reader holds (a connection, a file); safe to call twice. */
  close(): Promise<void>;
  /** Where the source has record `ordinal` (from 1), as the row path names it (`orders.csv:17`), once it was read. */
  positionOf?: (ordinal: number) => string;
  /**
   * CSV readers: hands `checker` every field as the reader's own scan walks
   * the bytes, before each chunk is handed out (one walk for both); call it
   * before the first chunk. Readers that cannot leave it out.
   */
  checkFields?: (checker: CsvFieldChecker) => void;
}

export interface PassThroughRequest {
  /** The columns the load expects, in order: the reader refuses (undefined) when the data's differ. */
  columns: readonly string[];
  /** The engine's batch size (a hint). */
  batchSize?: number;
  /**
   * Columns that must not be NULL (a `not-null` rule): the reader refuses the
   * data at the first NULL in one (so the row path quarantines it), or returns
   * undefined when it cannot check.
   */
  notNull?: readonly string[];
  signal?: AbortSignal;
}

/** A source that can hand its bytes over verbatim. */
export interface PassThroughSource {
  /** A reader, or undefined when this source's data cannot go through verbatim (then the row path runs). */
  passThrough(request: PassThroughRequest): Promise<PassThroughReader | undefined>;
}

/** Why a pass-through load did not happen; nothing was committed, run the row path. */
export interface PassThroughFallback {
  fallback: true;
  reason: string;
}

/** Raised by a reader whose data turned out not to be verbatim-safe (a ragged line, a stray quote). */
export class PassThroughRejected extends ConnectorError {
  readonly passThroughRejected = true;
  constructor(reason: string) {
    super('data-quality', `pass-through refused: ${reason}`);
  }
}

/**
 * The same reader with other chunks: the same ones, in order, with bookkeeping
 * around them (so counts and field checks stay true of the chunk handed out last).
 */
export function withChunks(reader: PassThroughReader, chunks: () => AsyncIterable<Buffer>): PassThroughReader {
  return {
    columns: reader.columns,
    format: reader.format,
    valuesAreText: reader.valuesAreText,
    get rows() {
      return reader.rows;
    },
    get bytes() {
      return reader.bytes;
    },
    cursor: () => reader.cursor(),
    close: () => reader.close(),
    ...(reader.positionOf ? { positionOf: (ordinal: number) => reader.positionOf!(ordinal) } : {}),
    ...(reader.checkFields ? { checkFields: (checker: CsvFieldChecker) => reader.checkFields!(checker) } : {}),
    chunks,
  };
}

export function isPassThroughSource(source: unknown): source is PassThroughSource {
  return typeof (source as Partial<PassThroughSource> | null)?.passThrough === 'function';
}

export function isPassThroughFallback(value: unknown): value is PassThroughFallback {
  return (value as Partial<PassThroughFallback> | null)?.fallback === true;
}

const LF = 0x0a;

/** Counts COPY text rows: every row ends in a newline (newlines in values are escaped). */
export function countLines(chunk: Uint8Array): number {
  let count = 0;
  let at = chunk.indexOf(LF);
  while (at !== -1) {
    count++;
    at = chunk.indexOf(LF, at + 1);
  }
  return count;
}
