/**
 * Checks the fields of CSV records as their bytes stream to COPY, and lists
 * the records some check could not vouch for. Used by the set-based path: the
 * server then converts the other records without guards (a guard in SQL costs
 * more than the load), and the engine judges the listed ones row by row.
 *
 * Assumes the bytes passed `CsvPassThroughScanner` (which refuses anything
 * malformed, so the load falls back before these results are used).
 *
 * Like the scanner, it skips ordinary bytes in a tight loop over a byte-class
 * table and quoted text with `indexOf`; a checked field is judged on its bytes
 * where they lie, without a string.
 */

/** What a field means for its record. */
export const FIELD_OK = 0;
/** A rule the check cannot prove (the casts hold). */
export const RULE_DOUBT = 1;
/** A cast the check cannot prove (outranks a rule in doubt: the record's casts are judged first). */
export const CAST_DOUBT = 2;
export type FieldVerdict = typeof FIELD_OK | typeof CAST_DOUBT | typeof RULE_DOUBT;

export interface FieldCheck {
  /** An unquoted empty field (NULL). */
  onNull: FieldVerdict;
  /** Any quoted field. */
  onQuoted: FieldVerdict;
  /**
   * Whether an unquoted non-empty field passes: its bytes [start, end) of
   * `bytes` (read as latin1, non-ASCII text never passes a check). A field
   * split between two chunks comes joined in a buffer of its own.
   */
  accepts: (bytes: Uint8Array, start: number, end: number) => boolean;
  /** An unquoted non-empty field that `accepts` refuses. */
  onRejected: FieldVerdict;
  /**
   * `accepts` refuses any bytes holding the delimiter, a quote, CR or LF: a
   * field of the length the column's last one had is then tried unscanned.
   */
  refusesSeparators?: boolean;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Byte classes: 0 is an ordinary byte, skipped in a tight loop. */
const ORDINARY = 0;
const IS_DELIMITER = 1;
const IS_QUOTE = 2;
const IS_LF = 3;
const IS_CR = 4;

/** Where the last chunk left off. */
const FIELD_START = 0;
/** Inside an unquoted field (its bytes so far in `pending` when the column is checked). */
const UNQUOTED = 1;
const QUOTED = 2;
/** Just after a quote inside a quoted field: its end, or the first of `""`. */
const QUOTE_IN_QUOTED = 3;
/** After a CR outside quotes (the scanner makes sure an LF follows). */
const AFTER_CR = 4;

const NO_CHECKS: ReadonlyArray<FieldCheck | undefined> = [];

export class CsvFieldChecker {
  /** Records (after the header), from 1, whose checks found doubt, in order. */
  readonly doubtful: number[] = [];
  /** Of those, the ones with a cast in doubt. */
  readonly castDoubts = new Set<number>();
  /**
   * In the chunk pushed last, the offset just after the LF of the last record
   * that ended in it (the header counts), or -1: a boundary to split the chunk at.
   */
  lastRecordEnd = -1;
  private ordinal = 0;
  private field = 0;
  private state = FIELD_START;
  private verdict: FieldVerdict = FIELD_OK;
  private pending: Buffer[] = [];
  private inHeader: boolean;
  private readonly classes = new Uint8Array(256);
  /**
   * Per column whose check refuses separators, the length of its last
   * unquoted field (else -1). A field of that length is tried first: when
   * the byte after it ends a field and the check accepts it, it holds no
   * separator, so that is the field, found without a scan.
   */
  private readonly lengths: Int32Array;

  constructor(
    delimiter: string,
    header: boolean,
    /** Per column index; undefined for unchecked columns. */
    private readonly checks: ReadonlyArray<FieldCheck | undefined>,
  ) {
    this.classes[delimiter.charCodeAt(0)] = IS_DELIMITER;
    this.classes[QUOTE] = IS_QUOTE;
    this.classes[LF] = IS_LF;
    this.classes[CR] = IS_CR;
    this.inHeader = header;
    this.lengths = new Int32Array(checks.map((check) => (check?.refusesSeparators ? 0 : -1)));
  }

  /** Whether some record so far is in doubt. */
  get hasDoubt(): boolean {
    return this.doubtful.length > 0;
  }

  push(chunk: Uint8Array): void {
    const classes = this.classes;
    const n = chunk.length;
    this.lastRecordEnd = -1;
    let i = this.resume(chunk);
    if (i >= n) return;
    let checks = this.inHeader ? NO_CHECKS : this.checks;
    const lengths = this.lengths;
    let guessed = false;
    let field = this.field;
    let verdict = this.verdict;
    // `i` is at a field's start, or (resumed there) at the byte that ends it.
    let atEnd = this.state === UNQUOTED;
    this.state = FIELD_START;
    while (i < n) {
      let k = classes[chunk[i]];
      if (atEnd) atEnd = false;
      else {
        const check = checks[field];
        if (k === ORDINARY) {
          const start = i;
          const guess = check === undefined ? -1 : lengths[field];
          if (guess > 0) {
            const end = start + guess;
            if (end < n && (k = classes[chunk[end]]) !== ORDINARY && check!.accepts(chunk, start, end)) {
              i = end;
              guessed = true;
            }
          }
          if (guessed) guessed = false;
          else {
            do i++;
            while (i < n && (k = classes[chunk[i]]) === ORDINARY);
            if (i === n) {
              this.state = UNQUOTED;
              if (check !== undefined) this.pending.push(Buffer.from(chunk.subarray(start, n)));
              break;
            }
            if (check !== undefined) {
              if (guess >= 0) lengths[field] = i - start;
              if (check.onRejected > verdict && !check.accepts(chunk, start, i)) verdict = check.onRejected;
            }
          }
        } else if (k === IS_QUOTE) {
          if (check !== undefined && check.onQuoted > verdict) verdict = check.onQuoted;
          i = this.skipQuoted(chunk, i + 1);
          if (i >= n) {
            this.state = i === n ? QUOTED : QUOTE_IN_QUOTED;
            break;
          }
          k = classes[chunk[i]];
        } else if (check !== undefined && check.onNull > verdict) verdict = check.onNull;
      }
      // The byte that ends the field. (A quote after a field's text: the scanner refuses it.)
      i++;
      if (k === IS_DELIMITER) field++;
      else if (k === IS_LF) {
        this.endRecord(verdict);
        checks = this.checks;
        this.lastRecordEnd = i;
        field = 0;
        verdict = FIELD_OK;
      } else if (k === IS_CR) {
        // The LF after it ends the record; it is not a field.
        if (i === n) this.state = AFTER_CR;
        atEnd = true;
      }
    }
    this.field = field;
    this.verdict = verdict;
  }

  /** The data ended: a last record without a line end counts. */
  end(): void {
    if (this.field === 0 && this.state === FIELD_START) return;
    if (this.state === UNQUOTED) this.endPending(Buffer.alloc(0), 0);
    else if (this.state === FIELD_START) {
      const check = this.inHeader ? undefined : this.checks[this.field];
      if (check !== undefined && check.onNull > this.verdict) this.verdict = check.onNull;
    }
    this.endRecord(this.verdict);
    this.field = 0;
    this.verdict = FIELD_OK;
    this.state = FIELD_START;
  }

  /**
   * Finishes the field the last chunk left open; returns where the loop goes
   * on (a field's start, or its terminator with state UNQUOTED).
   */
  private resume(chunk: Uint8Array): number {
    const n = chunk.length;
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
        this.endPending(chunk, i);
        return i;
      }
      case QUOTED:
      case QUOTE_IN_QUOTED: {
        const i = this.state === QUOTED ? this.skipQuoted(chunk, 0) : this.afterQuote(chunk, 0);
        if (i >= n) {
          this.state = i === n ? QUOTED : QUOTE_IN_QUOTED;
          return n;
        }
        this.state = UNQUOTED;
        return i;
      }
      case AFTER_CR:
        // At the LF, as after a field.
        this.state = UNQUOTED;
        return 0;
    }
    return 0;
  }

  /** Judges the unquoted field whose bytes began in earlier chunks and end at `end` of `chunk`. */
  private endPending(chunk: Uint8Array, end: number): void {
    this.state = UNQUOTED;
    if (this.pending.length === 0) return;
    const bytes = Buffer.concat([...this.pending, chunk.subarray(0, end)]);
    this.pending = [];
    const check = this.checks[this.field]!;
    if (check.onRejected > this.verdict && !check.accepts(bytes, 0, bytes.length)) this.verdict = check.onRejected;
  }

  /**
   * From inside a quoted field at `i`: the index of the byte after its closing
   * quote; `n` when the chunk ends inside the quotes, `n + 1` when it ends
   * just after a quote (the close, or the first of `""`).
   */
  private skipQuoted(chunk: Uint8Array, i: number): number {
    const n = chunk.length;
    for (;;) {
      const q = chunk.indexOf(QUOTE, i);
      if (q === -1) return n;
      if (q + 1 === n) return n + 1;
      if (chunk[q + 1] !== QUOTE) return q + 1;
      i = q + 2;
    }
  }

  /** Just after a quote inside a quoted field. */
  private afterQuote(chunk: Uint8Array, i: number): number {
    if (i === chunk.length) return i + 1;
    return chunk[i] === QUOTE ? this.skipQuoted(chunk, i + 1) : i;
  }

  private endRecord(verdict: FieldVerdict): void {
    if (this.inHeader) this.inHeader = false;
    else {
      this.ordinal++;
      if (verdict !== FIELD_OK) {
        this.doubtful.push(this.ordinal);
        if (verdict === CAST_DOUBT) this.castDoubts.add(this.ordinal);
      }
    }
  }
}
