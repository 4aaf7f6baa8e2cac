/**
 * Checks the fields of CSV records as their bytes stream to COPY, and lists
 * the records some check could not vouch for. Used by the set-based path: the
 * server then converts the other records without guards (a guard in SQL costs
 * more than the load), and the engine judges the listed ones row by row.
 *
 * Assumes the bytes passed `CsvPassThroughScanner` (which refuses anything
 * malformed, so the load falls back before these results are used).
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
  /** An unquoted field's text (latin1-decoded bytes: non-ASCII text never passes a check). */
  onText(text: string): FieldVerdict;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

export class CsvFieldChecker {
  /** Records (after the header), from 1, whose checks found doubt, in order. */
  readonly doubtful: number[] = [];
  /** Of those, the ones with a cast in doubt. */
  readonly castDoubts = new Set<number>();
  private ordinal = 0;
  private field = 0;
  private quoted = false;
  /** Inside a quoted field; `quoteSeen`: its last byte so far was a quote (closing, or the first of `""`). */
  private inQuotes = false;
  private quoteSeen = false;
  private verdict: FieldVerdict = FIELD_OK;
  private afterCr = false;
  private text: Buffer[] = [];
  private inHeader: boolean;
  private readonly delimiter: number;

  constructor(
    delimiter: string,
    header: boolean,
    /** Per column index; undefined for unchecked columns. */
    private readonly checks: ReadonlyArray<FieldCheck | undefined>,
  ) {
    this.delimiter = delimiter.charCodeAt(0);
    this.inHeader = header;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    const delimiter = this.delimiter;
    let start = 0;
    let i = 0;
    while (i < n) {
      if (this.inQuotes) {
        if (this.quoteSeen) {
          this.quoteSeen = false;
          if (chunk[i] === QUOTE) {
            i++;
            continue;
          }
          this.inQuotes = false;
          continue;
        }
        const q = chunk.indexOf(QUOTE, i);
        if (q === -1) return;
        this.quoteSeen = true;
        i = q + 1;
        continue;
      }
      const c = chunk[i];
      if (c === QUOTE) {
        this.quoted = true;
        this.inQuotes = true;
        i++;
        continue;
      }
      if (c === delimiter) {
        this.endField(chunk, start, i);
        this.field++;
        start = ++i;
        continue;
      }
      if (c === CR) {
        // Always followed by LF (the scanner refuses a lone CR): the field ends here, the record at the LF.
        this.endField(chunk, start, i);
        this.afterCr = true;
        start = ++i;
        continue;
      }
      if (c === LF) {
        if (!this.afterCr) this.endField(chunk, start, i);
        this.afterCr = false;
        this.endRecord();
        start = ++i;
        continue;
      }
      i++;
    }
    if (!this.quoted && start < n && this.checks[this.field]) this.text.push(chunk.subarray(start, n));
  }

  /** The data ended: a last record without a line end counts. */
  end(): void {
    if (this.field > 0 || this.quoted || this.text.length > 0) {
      this.endField(Buffer.alloc(0), 0, 0);
      this.endRecord();
    }
  }

  private endField(chunk: Buffer, start: number, end: number): void {
    const check = this.checks[this.field];
    if (check && !this.inHeader) {
      let verdict: FieldVerdict;
      if (this.quoted) verdict = check.onQuoted;
      else {
        const text =
          this.text.length === 0
            ? chunk.toString('latin1', start, end)
            : Buffer.concat([...this.text, chunk.subarray(start, end)]).toString('latin1');
        verdict = text.length === 0 ? check.onNull : check.onText(text);
      }
      if (verdict > this.verdict) this.verdict = verdict;
    }
    this.text = [];
    this.quoted = false;
  }

  private endRecord(): void {
    if (this.inHeader) this.inHeader = false;
    else {
      this.ordinal++;
      if (this.verdict !== FIELD_OK) {
        this.doubtful.push(this.ordinal);
        if (this.verdict === CAST_DOUBT) this.castDoubts.add(this.ordinal);
      }
    }
    this.field = 0;
    this.verdict = FIELD_OK;
  }
}
