/**
 * A CSV record splitter written for the row path's throughput: it works on
 * decoded text a chunk at a time, finds field ends with `indexOf`, slices
 * values out without copying character by character, and knows each record's
 * first line without a byte-offset index. Semantics (those the decoder had
 * with csv-parse): fields separated by `delimiter` (any string), quoted with
 * `"` (doubled inside), a quote inside an unquoted field is a literal
 * character (and so is a quoted start followed by text after its closing
 * quote: `"a"b` is the text `"a"b`), records end at LF or CRLF (a lone CR is data), empty lines are
 * skipped, an unquoted empty cell is null and a quoted one the empty string.
 */

/** A malformed CSV: the code says what (`CSV_*`, classed as data-quality). */
export class CsvSyntaxError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CsvError';
  }
}

/** One record: its cells (unquoted empty and null spellings as null), and the line it starts on. */
export interface CsvRecord {
  cells: Array<string | null>;
  line: number;
  /** The record's text without its line end (for rejected records). */
  raw(): string;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

export class CsvRecordSplitter {
  private pending = '';
  /** The line the pending text starts on. */
  private line = 1;

  constructor(
    private readonly delimiter: string,
    private readonly nullValues: ReadonlySet<string>,
    private readonly maxRecordChars: number,
  ) {}

  /**
   * Splits `text` (after what is pending) into complete records; an incomplete
   * last record waits for the next call, or, with `final`, is the last one.
   */
  push(text: string, final: boolean, out: CsvRecord[]): void {
    const data = this.pending === '' ? text : this.pending + text;
    const n = data.length;
    const delimiter = this.delimiter;
    const dlen = delimiter.length;
    const d0 = delimiter.charCodeAt(0);
    const nulls = this.nullValues;
    const checkNulls = nulls.size > 0;
    let pos = 0;
    let line = this.line;
    records: while (pos < n) {
      // Empty lines are skipped.
      const first = data.charCodeAt(pos);
      if (first === LF) {
        pos++;
        line++;
        continue;
      }
      if (first === CR && pos + 1 < n && data.charCodeAt(pos + 1) === LF) {
        pos += 2;
        line++;
        continue;
      }
      if (first === CR && pos + 1 >= n && !final) break;
      const start = pos;
      const startLine = line;
      let extraLines = 0;
      const cells: Array<string | null> = [];
      let i = pos;
      let lineEnd = data.indexOf('\n', i);
      for (;;) {
        /** Text of the field before `i`, when a quoted start turned out not to be a quoted field. */
        let prefix = '';
        if (data.charCodeAt(i) === QUOTE) {
          // A quoted field: up to the quote not followed by another.
          let j = i + 1;
          let escaped = false;
          let close: number;
          for (;;) {
            close = data.indexOf('"', j);
            if (close === -1 || (close + 1 >= n && !final)) {
              if (final) {
                throw new CsvSyntaxError(
                  'CSV_QUOTE_NOT_CLOSED',
                  `Quote Not Closed: the quoted field starting on line ${startLine + extraLines} never ends`,
                );
              }
              break records;
            }
            if (close + 1 < n && data.charCodeAt(close + 1) === QUOTE) {
              escaped = true;
              j = close + 2;
              continue;
            }
            break;
          }
          let value = data.slice(i + 1, close);
          let nl = value.indexOf('\n');
          while (nl !== -1) {
            extraLines++;
            nl = value.indexOf('\n', nl + 1);
          }
          if (escaped) value = value.replaceAll('""', '"');
          const k = close + 1;
          if (k >= n) {
            // The end of the data (final; otherwise we waited above).
            cells.push(value);
            pos = n;
            break;
          }
          const c = data.charCodeAt(k);
          // A delimiter of several characters may be cut by the end of the chunk.
          if (dlen > 1 && !final && k + dlen > n && delimiter.startsWith(data.slice(k))) break records;
          if (c === d0 && (dlen === 1 || data.startsWith(delimiter, k))) {
            cells.push(value);
            i = k + dlen;
            if (lineEnd !== -1 && lineEnd < k) lineEnd = data.indexOf('\n', k);
            if (i >= n && !final) break records;
            if (i >= n) {
              cells.push(null);
              pos = n;
              break;
            }
            continue;
          }
          if (c === LF) {
            cells.push(value);
            pos = k + 1;
            break;
          }
          if (c === CR) {
            if (k + 1 >= n && !final) break records;
            if (k + 1 < n && data.charCodeAt(k + 1) === LF) {
              cells.push(value);
              pos = k + 2;
              break;
            }
          }
          // Text after the closing quote: as csv-parse's relax_quotes, the field is not a quoted one
          // after all; it keeps its quotes (inner quotes unescaped) and goes on, unquoted.
          prefix = `"${value}"`;
          i = k;
          if (lineEnd !== -1 && lineEnd < k) lineEnd = data.indexOf('\n', k);
        }
        // An unquoted field: up to the delimiter or the line end, whichever comes first.
        if (lineEnd !== -1 && lineEnd < i) lineEnd = data.indexOf('\n', i);
        const next = data.indexOf(delimiter, i);
        if (next !== -1 && (lineEnd === -1 || next < lineEnd)) {
          const value = prefix + data.slice(i, next);
          cells.push(value === '' || (checkNulls && prefix === '' && nulls.has(value)) ? null : value);
          i = next + dlen;
          if (i >= n) {
            if (!final) break records;
            cells.push(null);
            pos = n;
            break;
          }
          continue;
        }
        if (lineEnd === -1) {
          if (!final) break records;
          const value = prefix + data.slice(i, n);
          cells.push(value === '' || (checkNulls && prefix === '' && nulls.has(value)) ? null : value);
          pos = n;
          break;
        }
        const end = lineEnd > i && data.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
        const value = prefix + data.slice(i, end);
        cells.push(value === '' || (checkNulls && prefix === '' && nulls.has(value)) ? null : value);
        pos = lineEnd + 1;
        break;
      }
      const recordEnd = pos;
      line = startLine + extraLines + 1;
      out.push({
        cells,
        line: startLine,
        raw: () => data.slice(start, recordEnd).replace(/\r?\n$/, ''),
      });
    }
    this.line = line;
    this.pending = pos >= n ? '' : data.slice(pos);
    if (this.pending.length > this.maxRecordChars) {
      throw new CsvSyntaxError(
        'CSV_MAX_RECORD_SIZE',
        `Max Record Size: the record starting on line ${this.line} is longer than ${this.maxRecordChars} characters`,
      );
    }
  }
}
