import { StringDecoder } from 'node:string_decoder';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream';
import type { Row } from '../connector';
import { DECODE_CHUNK, truncateRaw, type DecodedRecord } from './decoded-record';
import { toConnectorError } from './stream-errors';
import { CsvRecordSplitter, type CsvRecord } from './csv-records';
import { peek } from './stream-utils';

export type CsvEncoding = 'utf-8' | 'latin1' | 'utf-16le';

export interface CsvDecodeOptions {
  /** One of `,` `;` `\t` `|` is sniffed from the first lines when absent. */
  delimiter?: string;
  /** The first record names the columns (default); otherwise columns are `column_1`, `column_2`, … */
  header?: boolean;
  encoding?: CsvEncoding;
  /** Unquoted cells spelling one of these are null (an unquoted empty cell always is). */
  nullValues?: string[];
}

export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;
/** Bytes read ahead to sniff the delimiter. */
const SNIFF_BYTES = 64 * 1024;
const SNIFF_LINES = 50;
/** A record longer than this (an unclosed quote, usually) fails the file instead of filling memory. */
const MAX_RECORD_CHARS = 16 * 1024 * 1024;

/**
 * Picks the delimiter of a CSV sample: the candidate that splits the first line
 * into the most fields and splits the following lines into as many, counting
 * only outside quotes. `complete` says the sample holds the whole file (else its
 * last, probably cut, line is ignored). Defaults to a comma.
 */
export function sniffDelimiter(sample: string, complete = false): string {
  const lines = splitLines(sample, complete).filter((line) => line.trim() !== '');
  if (lines.length === 0) return ',';
  let best = ',';
  let bestScore = -1;
  for (const candidate of DELIMITER_CANDIDATES) {
    const counts = lines.map((line) => countOutsideQuotes(line, candidate));
    const first = counts[0];
    if (first === 0) continue;
    const consistent = counts.filter((count) => count === first).length / counts.length;
    // Consistency first, then more fields; earlier candidates win ties.
    const score = consistent * 1000 + Math.min(first, 999);
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** Splits on line feeds outside quotes, for the sniffer. */
function splitLines(sample: string, complete: boolean): string[] {
  const lines: string[] = [];
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < sample.length && lines.length < SNIFF_LINES; i++) {
    const ch = sample[i];
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === '\n' && !inQuotes) {
      lines.push(sample.slice(start, i));
      start = i + 1;
    }
  }
  if (complete && start < sample.length && lines.length < SNIFF_LINES) lines.push(sample.slice(start));
  return lines;
}

function countOutsideQuotes(line: string, delimiter: string): number {
  let count = 0;
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && line.startsWith(delimiter, i)) count += 1;
  }
  return count;
}

/** Turns latin1 or UTF-16LE bytes into UTF-8, so the parser and the line index see one encoding. */
class ToUtf8 extends Transform {
  private readonly decoder: StringDecoder;
  private first = true;

  constructor(encoding: 'latin1' | 'utf16le') {
    super();
    this.decoder = new StringDecoder(encoding);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let text = this.decoder.write(chunk);
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    callback(null, Buffer.from(text, 'utf8'));
  }

  override _flush(callback: TransformCallback): void {
    callback(null, Buffer.from(this.decoder.end(), 'utf8'));
  }
}

/** Column names from a header record: kept exactly, except blanks (`column_3`) and repeats (`name_2`). */
export function headerNames(cells: Array<string | null>): string[] {
  const seen = new Set<string>();
  return cells.map((cell, i) => {
    let name = cell === null || cell === '' ? `column_${i + 1}` : cell;
    if (seen.has(name)) {
      let n = 2;
      while (seen.has(`${name}_${n}`)) n += 1;
      name = `${name}_${n}`;
    }
    seen.add(name);
    return name;
  });
}

/** Which fields of one raw CSV record start with a quote. */
export function quotedFields(raw: string, delimiter: string): boolean[] {
  const flags: boolean[] = [];
  let i = 0;
  for (;;) {
    const quoted = raw[i] === '"';
    flags.push(quoted);
    if (quoted) {
      i += 1;
      while (i < raw.length) {
        if (raw[i] === '"') {
          if (raw[i + 1] === '"') i += 2;
          else {
            i += 1;
            break;
          }
        } else i += 1;
      }
    }
    const next = raw.indexOf(delimiter, i);
    if (next === -1) return flags;
    i = next + delimiter.length;
  }
}

/**
 * Decodes a CSV byte stream into rows of strings (and nulls); the sink or the
 * engine casts. Quoted fields may hold delimiters, quotes and line breaks;
 * a UTF-8 BOM is dropped; CRLF and LF line ends both work. An unquoted empty
 * cell is null, a quoted one (`""`) is the empty string. A record with more or
 * fewer fields than the header is rejected with the line it starts on.
 * Positions are `<name>:<line>`, the line where the record starts.
 */
export async function* decodeCsv(
  input: Readable,
  name: string,
  options: CsvDecodeOptions = {},
  onHeader?: (columns: string[]) => void,
): AsyncGenerator<DecodedRecord[]> {
  const encoding = options.encoding ?? 'utf-8';
  const utf8 =
    encoding === 'utf-8'
      ? input
      : pipeline(input, new ToUtf8(encoding === 'latin1' ? 'latin1' : 'utf16le'), () => undefined);
  const peeked = await peek(utf8, SNIFF_BYTES);
  let head = peeked.head;
  const stream = peeked.stream;
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  if (bom) head = head.subarray(3);
  const delimiter = options.delimiter ?? sniffDelimiter(head.toString('utf8'), peeked.ended);
  const splitter = new CsvRecordSplitter(delimiter, new Set(options.nullValues ?? []), MAX_RECORD_CHARS);
  const text = new StringDecoder('utf8');

  let columns: string[] | undefined;
  let template: Row | undefined;
  let expectHeader = options.header !== false;
  const out: DecodedRecord[] = [];
  const records: CsvRecord[] = [];
  let first = true;
  const take = (): void => {
    for (const record of records) {
      const cells = record.cells;
      if (expectHeader || !columns) {
        columns = headerNames(expectHeader ? cells : cells.map(() => null));
        // Rows are copies of one template: one hidden class, and every column (even `__proto__`) an own property.
        template = Object.fromEntries(columns.map((column) => [column, null]));
        onHeader?.(columns);
        if (expectHeader) {
          expectHeader = false;
          continue;
        }
      }
      const position = `${name}:${record.line}`;
      if (cells.length !== columns.length) {
        out.push({
          rejected: {
            position,
            reason: `expected ${columns.length} fields, found ${cells.length}`,
            raw: truncateRaw(record.raw()),
          },
        });
      } else {
        const row: Row = { ...template };
        for (let i = 0; i < columns.length; i++) row[columns[i]] = cells[i];
        out.push({ row, position });
      }
    }
    records.length = 0;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let piece = chunk;
      if (first) {
        first = false;
        // peek() hands the head back first, whole: the BOM is at its start.
        if (bom) piece = piece.subarray(3);
      }
      splitter.push(text.write(piece), false, records);
      take();
      while (out.length >= DECODE_CHUNK) {
        yield out.splice(0, DECODE_CHUNK);
      }
    }
    splitter.push(text.end(), true, records);
    take();
  } catch (error) {
    throw toConnectorError(error, `${name}: cannot read CSV`);
  } finally {
    if (!stream.destroyed) stream.destroy();
  }
  while (out.length > 0) yield out.splice(0, DECODE_CHUNK);
}
