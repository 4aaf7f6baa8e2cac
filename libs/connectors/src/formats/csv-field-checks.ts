/**
 * Checks on the fields of CSV records, judged as their bytes stream to COPY,
 * and the records some check could not vouch for. Used by the set-based path:
 * the server then converts the other records without guards (a guard in SQL
 * costs more than the load), and the engine judges the listed ones row by row.
 *
 * The checker does not walk the bytes itself: `CsvPassThroughScanner`, which
 * refuses anything malformed, hands it each field as it finds it, so a chunk
 * is walked once for both. A checked field is judged on its bytes where they
 * lie, without a string.
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

/** The checks per column, and what they found in the records walked so far. */
export class CsvFieldChecker {
  /** Records (after the header), from 1, whose checks found doubt, in order. */
  readonly doubtful: number[] = [];
  /** Of those, the ones with a cast in doubt. */
  readonly castDoubts = new Set<number>();
  /**
   * In the chunk walked last, the offset just after the LF of the last record
   * that ended in it (the header counts), or -1: a boundary to split the chunk at.
   * Set by the scanner.
   */
  lastRecordEnd = -1;
  /**
   * Per column whose check refuses separators, the length of its last
   * unquoted field (else -1). The scanner tries a field of that length
   * first: when the byte after it ends a field and the check accepts it, it
   * holds no separator, so that is the field, found without a scan.
   */
  readonly lengths: Int32Array;
  /** The current record's verdict so far. */
  private verdict: FieldVerdict = FIELD_OK;

  /** `checks`: per column index, undefined for unchecked columns. */
  constructor(readonly checks: ReadonlyArray<FieldCheck | undefined>) {
    this.lengths = new Int32Array(checks.map((check) => (check?.refusesSeparators ? 0 : -1)));
  }

  /** Whether some record so far is in doubt. */
  get hasDoubt(): boolean {
    return this.doubtful.length > 0;
  }

  /** An unquoted empty field (NULL) in checked column `column`. */
  nullField(column: number): void {
    const verdict = this.checks[column]!.onNull;
    if (verdict > this.verdict) this.verdict = verdict;
  }

  /** A quoted field in checked column `column`. */
  quotedField(column: number): void {
    const verdict = this.checks[column]!.onQuoted;
    if (verdict > this.verdict) this.verdict = verdict;
  }

  /** The unquoted non-empty field [start, end) of `bytes` in checked column `column`. */
  unquotedField(column: number, bytes: Uint8Array, start: number, end: number): void {
    const check = this.checks[column]!;
    if (this.lengths[column] >= 0) this.lengths[column] = end - start;
    if (check.onRejected > this.verdict && !check.accepts(bytes, start, end)) this.verdict = check.onRejected;
  }

  /** Record `ordinal` (from 1, after the header) ended. */
  endRecord(ordinal: number): void {
    if (this.verdict === FIELD_OK) return;
    this.doubtful.push(ordinal);
    if (this.verdict === CAST_DOUBT) this.castDoubts.add(ordinal);
    this.verdict = FIELD_OK;
  }
}
