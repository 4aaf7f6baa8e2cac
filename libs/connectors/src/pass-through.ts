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
  /** Where the source has record `ordinal` (from 1), as the row path names it (`orders.csv:17`), once it was read. */
  positionOf?: (ordinal: number) => string;
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

/** The same reader with other chunks (the same bytes, with bookkeeping around them); counts stay live. */
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
    chunks,
  };
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

/** Byte classes: 0 is an ordinary byte, skipped in a tight loop. */
const ORDINARY = 0;
const IS_DELIMITER = 1;
const IS_QUOTE = 2;
const IS_LF = 3;
const IS_CR = 4;

/**
 * Checks CSV bytes, as they stream, for exactly what makes PostgreSQL's
 * `COPY … (FORMAT csv)` read them as our CSV decoder does, and counts the
 * records. Refused (the row path then runs, and quarantines with line
 * numbers): a record with another field count, an empty line, a quote inside
 * an unquoted field or text after a closing quote, a lone carriage return, a
 * `\.` line, a NULL in a not-null column, and a header that does not name the
 * expected columns. (A `\.` line cut by a chunk boundary is caught by the
 * sink instead: COPY would stop there, and its row count would differ.)
 *
 * Ordinary bytes are skipped by a table lookup, quoted text by `indexOf`.
 */
export class CsvPassThroughScanner {
  /** Records after the header. */
  rows = 0;
  private state = FIELD_START;
  private fields = 1;
  /** The current record has a byte (a CR before its LF aside): a record ending now is not an empty line. */
  private started = false;
  private headerPending: boolean;
  private headerParts: Buffer[] = [];
  private readonly classes = new Uint8Array(256);
  /** 1 at the index of a column that must not be NULL (an unquoted empty field). */
  private readonly notNull: Uint8Array | undefined;
  /** Line ends inside quoted fields of the current record, and of all records before it. */
  private recordExtraLines = 0;
  private extraLines = 0;
  /** Pairs (first record ordinal, extra lines before it), one per record that spans lines. */
  private readonly lineSteps: number[] = [];

  private readonly headerLine: boolean;

  constructor(
    delimiter: number,
    private readonly width: number,
    header: boolean,
    private readonly checkHeader?: (header: Buffer) => string | undefined,
    notNullColumns: readonly number[] = [],
  ) {
    this.headerPending = header;
    this.headerLine = header;
    this.classes[delimiter] = IS_DELIMITER;
    this.classes[QUOTE] = IS_QUOTE;
    this.classes[LF] = IS_LF;
    this.classes[CR] = IS_CR;
    if (notNullColumns.length > 0) {
      this.notNull = new Uint8Array(width + 1);
      for (const index of notNullColumns) this.notNull[index] = 1;
    }
  }

  /** An unquoted empty field (NULL) just ended at field `fields` (1-based). */
  private emptyField(fields: number): void {
    if (this.notNull !== undefined && !this.headerPending && this.notNull[fields - 1] === 1) {
      throw new PassThroughRejected(`a NULL in not-null column ${fields}`);
    }
  }

  /** Scans one chunk; throws PassThroughRejected. */
  push(chunk: Uint8Array): void {
    const classes = this.classes;
    const n = chunk.length;
    let state = this.state;
    let fields = this.fields;
    let started = this.started;
    let headerFrom = this.headerPending ? 0 : -1;
    let i = 0;
    while (i < n) {
      const c = chunk[i];
      const k = classes[c];
      switch (state) {
        case FIELD_START:
          if (k === ORDINARY) {
            if (c === BACKSLASH && fields === 1 && !started && i + 2 < n && chunk[i + 1] === DOT) {
              const after = chunk[i + 2];
              if (after === LF || after === CR) throw new PassThroughRejected('a \\. line');
            }
            started = true;
            state = UNQUOTED;
            i++;
            while (i < n && classes[chunk[i]] === ORDINARY) i++;
            continue;
          }
          if (k === IS_QUOTE) {
            started = true;
            state = QUOTED;
          } else if (k === IS_DELIMITER) {
            if (this.notNull !== undefined) this.emptyField(fields);
            started = true;
            fields++;
          } else if (k === IS_LF) {
            if (this.notNull !== undefined && started) this.emptyField(fields);
            if (this.endRecord(started, fields)) {
              this.finishHeader(chunk.subarray(headerFrom, i + 1));
              headerFrom = -1;
            }
            started = false;
            fields = 1;
          } else {
            if (this.notNull !== undefined && started) this.emptyField(fields);
            state = AFTER_CR;
          }
          break;
        case UNQUOTED:
          if (k === ORDINARY) {
            i++;
            while (i < n && classes[chunk[i]] === ORDINARY) i++;
            continue;
          }
          if (k === IS_DELIMITER) {
            fields++;
            state = FIELD_START;
          } else if (k === IS_LF) {
            if (this.endRecord(started, fields)) {
              this.finishHeader(chunk.subarray(headerFrom, i + 1));
              headerFrom = -1;
            }
            started = false;
            fields = 1;
            state = FIELD_START;
          } else if (k === IS_CR) state = AFTER_CR;
          else throw new PassThroughRejected('a quote inside an unquoted field');
          break;
        case QUOTED: {
          const close = chunk.indexOf(QUOTE, i);
          const end = close === -1 ? n : close;
          for (let lf = chunk.indexOf(LF, i); lf !== -1 && lf < end; lf = chunk.indexOf(LF, lf + 1)) {
            this.recordExtraLines++;
          }
          if (close === -1) {
            i = n;
            continue;
          }
          i = close;
          state = QUOTE_IN_QUOTED;
          break;
        }
        case QUOTE_IN_QUOTED:
          if (k === IS_QUOTE) state = QUOTED;
          else if (k === IS_DELIMITER) {
            fields++;
            state = FIELD_START;
          } else if (k === IS_LF) {
            if (this.endRecord(started, fields)) {
              this.finishHeader(chunk.subarray(headerFrom, i + 1));
              headerFrom = -1;
            }
            started = false;
            fields = 1;
            state = FIELD_START;
          } else if (k === IS_CR) state = AFTER_CR;
          else throw new PassThroughRejected('text after a closing quote');
          break;
        case AFTER_CR:
          if (c !== LF) throw new PassThroughRejected('a carriage return that does not end a line');
          if (this.endRecord(started, fields)) {
            this.finishHeader(chunk.subarray(headerFrom, i + 1));
            headerFrom = -1;
          }
          started = false;
          fields = 1;
          state = FIELD_START;
          break;
      }
      i++;
    }
    if (headerFrom >= 0) this.headerParts.push(Buffer.from(chunk.subarray(headerFrom)));
    this.state = state;
    this.fields = fields;
    this.started = started;
  }

  /** The end of the data: a last record without a line end counts. */
  end(): void {
    if (this.state === QUOTED) throw new PassThroughRejected('a quoted field is not closed');
    if (this.state === AFTER_CR) throw new PassThroughRejected('a carriage return that does not end a line');
    if (this.started) {
      if (this.state === FIELD_START) this.emptyField(this.fields);
      if (this.endRecord(true, this.fields)) this.finishHeader(new Uint8Array(0));
    }
    if (this.headerPending) throw new PassThroughRejected('no header line');
  }

  /** True when the record that ended is the header. */
  private endRecord(started: boolean, fields: number): boolean {
    if (!started) throw new PassThroughRejected('an empty line');
    if (fields !== this.width) throw new PassThroughRejected(`a record of ${fields} fields, expected ${this.width}`);
    if (!this.headerPending) this.rows++;
    if (this.recordExtraLines > 0) {
      this.extraLines += this.recordExtraLines;
      this.recordExtraLines = 0;
      this.lineSteps.push(this.rows + 1, this.extraLines);
    }
    return this.headerPending;
  }

  /** The line record `ordinal` (from 1, after the header) starts on, counting line ends inside quoted fields. */
  lineOf(ordinal: number): number {
    const steps = this.lineSteps;
    let low = 0;
    let high = steps.length / 2 - 1;
    let extra = 0;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (steps[mid * 2] <= ordinal) {
        extra = steps[mid * 2 + 1];
        low = mid + 1;
      } else high = mid - 1;
    }
    return ordinal + (this.headerLine ? 1 : 0) + extra;
  }

  private finishHeader(last: Uint8Array): void {
    this.headerPending = false;
    const header = Buffer.concat([...this.headerParts, last]);
    this.headerParts = [];
    const problem = this.checkHeader?.(header);
    if (problem) throw new PassThroughRejected(problem);
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
