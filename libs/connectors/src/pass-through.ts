import type { CursorState } from './connector';
import { ConnectorError } from './connector-error';

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
}

export interface PassThroughRequest {
  /** The columns the load expects, in order: the reader refuses (undefined) when the data's differ. */
  columns: readonly string[];
  /** The engine's batch size: the reader hands out chunks of about this many rows' bytes at most. */
  batchSize?: number;
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

export function isPassThroughSource(source: unknown): source is PassThroughSource {
  return typeof (source as Partial<PassThroughSource> | null)?.passThrough === 'function';
}

export function isPassThroughFallback(value: unknown): value is PassThroughFallback {
  return (value as Partial<PassThroughFallback> | null)?.fallback === true;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const DOT = 0x2e;

/** Scanner states. */
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote inside a quoted field: the end of the field, or the first of a doubled quote. */
const QUOTE_IN_QUOTED = 3;
/** A carriage return outside quotes: only CRLF ends a record. */
const AFTER_CR = 4;

/**
 * Checks CSV bytes, as they stream, for exactly what makes PostgreSQL's
 * `COPY … (FORMAT csv)` read them as our CSV decoder does, and counts the
 * records. Refused (the row path then runs, and quarantines with line
 * numbers): a record with another field count, an empty line, a quote inside
 * an unquoted field or text after a closing quote, a lone carriage return, a
 * `\.` line, and a header that does not name the expected columns.
 */
export class CsvPassThroughScanner {
  /** Records after the header. */
  rows = 0;
  private state = FIELD_START;
  private fields = 1;
  /** Bytes in the current record so far (0: nothing yet, an empty line if it ends now). */
  private recordBytes = 0;
  /** The current record's first bytes, to spot `\.`. */
  private firstBytes = 0;
  private dotLine = false;
  private headerPending: boolean;
  private headerBytes: number[] = [];

  constructor(
    private readonly delimiter: number,
    private readonly width: number,
    header: boolean,
    private readonly checkHeader?: (header: Buffer) => string | undefined,
  ) {
    this.headerPending = header;
  }

  /** Scans one chunk; throws PassThroughRejected. */
  push(chunk: Uint8Array): void {
    const delimiter = this.delimiter;
    let state = this.state;
    let recordBytes = this.recordBytes;
    let fields = this.fields;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk[i];
      if (this.headerPending) this.headerBytes.push(c);
      switch (state) {
        case FIELD_START:
          if (c === QUOTE) state = QUOTED;
          else if (c === delimiter) fields++;
          else if (c === LF) {
            this.endRecord(recordBytes, fields);
            recordBytes = -1;
            fields = 1;
          } else if (c === CR) state = AFTER_CR;
          else {
            state = UNQUOTED;
            if (c === BACKSLASH && fields === 1 && recordBytes === 0) this.firstBytes = 1;
          }
          break;
        case UNQUOTED:
          if (c === delimiter) {
            fields++;
            state = FIELD_START;
          } else if (c === LF) {
            this.endRecord(recordBytes, fields);
            recordBytes = -1;
            fields = 1;
            state = FIELD_START;
          } else if (c === CR) state = AFTER_CR;
          else if (c === QUOTE) throw new PassThroughRejected('a quote inside an unquoted field');
          else if (this.firstBytes === 1 && recordBytes === 1 && c === DOT) this.dotLine = true;
          else if (this.dotLine) this.dotLine = false;
          break;
        case QUOTED:
          if (c === QUOTE) state = QUOTE_IN_QUOTED;
          break;
        case QUOTE_IN_QUOTED:
          if (c === QUOTE) state = QUOTED;
          else if (c === delimiter) {
            fields++;
            state = FIELD_START;
          } else if (c === LF) {
            this.endRecord(recordBytes, fields);
            recordBytes = -1;
            fields = 1;
            state = FIELD_START;
          } else if (c === CR) state = AFTER_CR;
          else throw new PassThroughRejected('text after a closing quote');
          break;
        case AFTER_CR:
          if (c !== LF) throw new PassThroughRejected('a carriage return that does not end a line');
          // The CR was counted as a byte of the record: an empty CRLF line has recordBytes 1.
          this.endRecord(recordBytes - 1, fields);
          recordBytes = -1;
          fields = 1;
          state = FIELD_START;
          break;
      }
      recordBytes++;
    }
    this.state = state;
    this.recordBytes = recordBytes;
    this.fields = fields;
  }

  /** The end of the data: a last record without a line end counts. */
  end(): void {
    if (this.state === QUOTED) throw new PassThroughRejected('a quoted field is not closed');
    if (this.state === AFTER_CR) throw new PassThroughRejected('a carriage return that does not end a line');
    if (this.recordBytes > 0) this.endRecord(this.recordBytes, this.fields);
    if (this.headerPending) throw new PassThroughRejected('no header line');
  }

  private endRecord(bytes: number, fields: number): void {
    if (bytes === 0) throw new PassThroughRejected('an empty line');
    if (this.dotLine && fields === 1) throw new PassThroughRejected('a \\. line');
    this.dotLine = false;
    this.firstBytes = 0;
    if (fields !== this.width) throw new PassThroughRejected(`a record of ${fields} fields, expected ${this.width}`);
    if (this.headerPending) {
      this.headerPending = false;
      const problem = this.checkHeader?.(Buffer.from(this.headerBytes));
      this.headerBytes = [];
      if (problem) throw new PassThroughRejected(problem);
      return;
    }
    this.rows++;
  }
}

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
