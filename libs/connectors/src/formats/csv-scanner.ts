import { ConnectorError } from '../connector-error';
import { PassThroughRejected } from '../pass-through';
import type { CsvFieldChecker, FieldCheck } from './csv-field-checks';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const DOT = 0x2e;

/** Where the last chunk left off. */
const FIELD_START = 0;
/** Inside an unquoted field (its bytes so far in `pending` when the column is checked). */
const UNQUOTED = 1;
const QUOTED = 2;
/** Just after a quote inside a quoted field: its end, or the first of `""`. */
const QUOTE_IN_QUOTED = 3;
/** After a carriage return outside quotes: only CRLF ends a record. */
const AFTER_CR = 4;
/** At the byte that ends a field (only while a chunk is walked). */
const FIELD_END = 5;

/** Byte classes: 0 is an ordinary byte, skipped in a tight loop. */
const ORDINARY = 0;
const IS_DELIMITER = 1;
const IS_QUOTE = 2;
const IS_LF = 3;
const IS_CR = 4;

const NO_BYTES = new Uint8Array(0);

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
 * With a `CsvFieldChecker` attached, it hands the checker every field of a
 * checked column in the same walk.
 *
 * Field by field: ordinary bytes are skipped by a table lookup, quoted text
 * by `indexOf`, and a field the checker can vouch for at its column's last
 * length not at all.
 */
export class CsvPassThroughScanner {
  /** Records after the header. */
  rows = 0;
  private state = FIELD_START;
  /** Fields of the current record so far, the one being read included. */
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
  private checker: CsvFieldChecker | undefined;
  /** Per column, the check to hand its fields to: none while the header is read. */
  private checks: ReadonlyArray<FieldCheck | undefined>;
  private readonly noChecks: ReadonlyArray<FieldCheck | undefined>;
  /** The bytes, from earlier chunks, of the checked unquoted field the last chunk left open. */
  private pending: Buffer[] = [];
  private pushed = false;

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
    this.noChecks = new Array<FieldCheck | undefined>(width).fill(undefined);
    this.checks = this.noChecks;
  }

  /** Hands the fields to `checker` as they are scanned; before the first chunk. */
  checkFields(checker: CsvFieldChecker): void {
    if (this.pushed || this.checker !== undefined) {
      throw new ConnectorError('bug', 'field checks are attached once, before the first chunk');
    }
    if (checker.checks.length !== this.width) {
      throw new ConnectorError('bug', `${checker.checks.length} field checks for ${this.width} columns`);
    }
    this.checker = checker;
    if (!this.headerPending) this.checks = checker.checks;
  }

  /** Scans one chunk; throws PassThroughRejected. */
  push(chunk: Uint8Array): void {
    this.pushed = true;
    if (this.checker !== undefined) this.checker.lastRecordEnd = -1;
    const from = this.resume(chunk);
    if (from < chunk.length) this.walk(chunk, from);
    if (this.headerPending) this.headerParts.push(Buffer.from(chunk));
  }

  /**
   * Finishes what the last chunk left open; returns where the walk goes on
   * (state FIELD_START or FIELD_END), or the chunk's length when it is used up.
   */
  private resume(chunk: Uint8Array): number {
    const n = chunk.length;
    if (n === 0) return 0;
    switch (this.state) {
      case FIELD_START:
        return 0;
      case UNQUOTED: {
        let i = 0;
        while (i < n && this.classes[chunk[i]] === ORDINARY) i++;
        if (i === n) {
          if (this.pending.length > 0) this.pending.push(Buffer.from(chunk));
          return n;
        }
        if (this.pending.length > 0) this.checkPending(chunk.subarray(0, i));
        this.state = FIELD_END;
        return i;
      }
      case QUOTED:
      case QUOTE_IN_QUOTED: {
        let i = 0;
        if (this.state === QUOTED) i = this.skipQuoted(chunk, 0);
        else if (chunk[0] === QUOTE) i = this.skipQuoted(chunk, 1);
        if (i >= n) {
          this.state = i === n ? QUOTED : QUOTE_IN_QUOTED;
          return n;
        }
        this.state = FIELD_END;
        return i;
      }
      case AFTER_CR:
        if (chunk[0] !== LF) throw new PassThroughRejected('a carriage return that does not end a line');
        this.endRecord(this.started, this.fields, chunk, 1);
        this.started = false;
        this.fields = 1;
        this.state = FIELD_START;
        return 1;
    }
    return 0;
  }

  /** Walks `chunk` from `i`, field by field. */
  private walk(chunk: Uint8Array, i: number): void {
    const classes = this.classes;
    const notNull = this.notNull;
    const checker = this.checker;
    const n = chunk.length;
    let checks = this.checks;
    let fields = this.fields;
    let started = this.started;
    let atFieldEnd = this.state === FIELD_END;
    let state = FIELD_START;
    while (i < n) {
      let k: number;
      if (atFieldEnd) {
        atFieldEnd = false;
        k = classes[chunk[i]];
      } else {
        const c = chunk[i];
        k = classes[c];
        const check = checks[fields - 1];
        if (k === ORDINARY) {
          if (c === BACKSLASH && fields === 1 && !started && i + 2 < n && chunk[i + 1] === DOT) {
            const after = chunk[i + 2];
            if (after === LF || after === CR) throw new PassThroughRejected('a \\. line');
          }
          started = true;
          const start = i;
          const guess = check === undefined ? 0 : checker!.lengths[fields - 1];
          const end = start + guess;
          if (guess > 0 && end < n && classes[chunk[end]] !== ORDINARY && check!.accepts(chunk, start, end)) {
            i = end;
            k = classes[chunk[i]];
          } else {
            do i++;
            while (i < n && (k = classes[chunk[i]]) === ORDINARY);
            if (i === n) {
              state = UNQUOTED;
              if (check !== undefined) this.pending.push(Buffer.from(chunk.subarray(start)));
              break;
            }
            if (check !== undefined) checker!.unquotedField(fields - 1, chunk, start, i);
          }
        } else if (k === IS_QUOTE) {
          started = true;
          if (check !== undefined) checker!.quotedField(fields - 1);
          i = this.skipQuoted(chunk, i + 1);
          if (i >= n) {
            state = i === n ? QUOTED : QUOTE_IN_QUOTED;
            break;
          }
          k = classes[chunk[i]];
        } else {
          // An empty field (NULL), unless the line end here ends an empty line.
          if (notNull !== undefined && (started || k === IS_DELIMITER)) this.emptyField(fields);
          if (check !== undefined) checker!.nullField(fields - 1);
        }
      }
      // chunk[i] ends the field.
      if (k === IS_DELIMITER) {
        started = true;
        fields++;
        i++;
      } else if (k === IS_LF || k === IS_CR) {
        if (k === IS_CR) {
          if (i + 1 === n) {
            state = AFTER_CR;
            break;
          }
          if (chunk[++i] !== LF) throw new PassThroughRejected('a carriage return that does not end a line');
        }
        i++;
        this.endRecord(started, fields, chunk, i);
        checks = this.checks;
        started = false;
        fields = 1;
      } else if (k === IS_QUOTE) throw new PassThroughRejected('a quote inside an unquoted field');
      else throw new PassThroughRejected('text after a closing quote');
    }
    this.state = state;
    this.fields = fields;
    this.started = started;
  }

  /** The end of the data: a last record without a line end counts. */
  end(): void {
    if (this.state === QUOTED) throw new PassThroughRejected('a quoted field is not closed');
    if (this.state === AFTER_CR) throw new PassThroughRejected('a carriage return that does not end a line');
    if (this.started) {
      if (this.state === UNQUOTED && this.pending.length > 0) this.checkPending(NO_BYTES);
      else if (this.state === FIELD_START) {
        this.emptyField(this.fields);
        if (this.checks[this.fields - 1] !== undefined) this.checker!.nullField(this.fields - 1);
      }
      this.endRecord(true, this.fields, NO_BYTES, -1);
    }
    if (this.headerPending) throw new PassThroughRejected('no header line');
  }

  /** An unquoted empty field (NULL) just ended at field `fields` (1-based). */
  private emptyField(fields: number): void {
    if (this.notNull !== undefined && !this.headerPending && this.notNull[fields - 1] === 1) {
      throw new PassThroughRejected(`a NULL in not-null column ${fields}`);
    }
  }

  /** Hands the checker the unquoted field begun in earlier chunks, which `last` ends. */
  private checkPending(last: Uint8Array): void {
    const bytes = Buffer.concat([...this.pending, last]);
    this.pending = [];
    this.checker!.unquotedField(this.fields - 1, bytes, 0, bytes.length);
  }

  /**
   * From inside a quoted field at `i`: the index just after its closing
   * quote; `n` when the chunk ends inside the quotes, `n + 1` when it ends
   * just after a quote (the closing one, or the first of `""`). Counts the
   * line ends it passes.
   */
  private skipQuoted(chunk: Uint8Array, i: number): number {
    const n = chunk.length;
    let lf = chunk.indexOf(LF, i);
    if (lf === -1) lf = n;
    for (;;) {
      const q = chunk.indexOf(QUOTE, i);
      const end = q === -1 ? n : q;
      while (lf < end) {
        this.recordExtraLines++;
        lf = chunk.indexOf(LF, lf + 1);
        if (lf === -1) lf = n;
      }
      if (q === -1) return n;
      if (q + 1 === n) return n + 1;
      if (chunk[q + 1] !== QUOTE) return q + 1;
      i = q + 2;
    }
  }

  /** A record ended: just before `lineEnd` of `chunk` (after its LF), or at the end of the data (-1). */
  private endRecord(started: boolean, fields: number, chunk: Uint8Array, lineEnd: number): void {
    if (!started) throw new PassThroughRejected('an empty line');
    if (fields !== this.width) throw new PassThroughRejected(`a record of ${fields} fields, expected ${this.width}`);
    const header = this.headerPending;
    if (!header) this.rows++;
    if (this.recordExtraLines > 0) {
      this.extraLines += this.recordExtraLines;
      this.recordExtraLines = 0;
      this.lineSteps.push(this.rows + 1, this.extraLines);
    }
    const checker = this.checker;
    if (checker !== undefined) {
      if (!header) checker.endRecord(this.rows);
      if (lineEnd >= 0) checker.lastRecordEnd = lineEnd;
    }
    if (header) this.finishHeader(chunk.subarray(0, Math.max(0, lineEnd)));
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
    this.checks = this.checker?.checks ?? this.noChecks;
    const header = Buffer.concat([...this.headerParts, last]);
    this.headerParts = [];
    const problem = this.checkHeader?.(header);
    if (problem) throw new PassThroughRejected(problem);
  }
}
