import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type { CursorState } from '../connector';
import { countLines, type PassThroughReader, type PassThroughRequest } from '../pass-through';
import { headerNames, sniffDelimiter } from './csv.decoder';
import { CsvPassThroughScanner } from './csv-scanner';
import { formatFromContent, formatFromName, isGzip, type ObjectReadSpec, type SourceObject } from './record-stream';
import { toConnectorError } from './stream-errors';
import { ByteCounter, peek } from './stream-utils';

const GZIP_EXT = /\.(gz|gzip)$/i;
const SNIFF_BYTES = 64 * 1024;

/**
 * Whether a CSV read spec can go through verbatim at all: UTF-8, a header
 * line, no extra null spellings (COPY has one NULL string, and it replaces
 * the unquoted empty cell), CSV (given or by name).
 */
export function csvSpecPassesThrough(spec: ObjectReadSpec, name: string): boolean {
  const csv = spec.csv ?? {};
  if ((csv.encoding ?? 'utf-8') !== 'utf-8' || csv.header === false) return false;
  if ((csv.nullValues ?? []).length > 0) return false;
  if (csv.delimiter !== undefined && Buffer.byteLength(csv.delimiter) !== 1) return false;
  if (csv.delimiter === '"' || csv.delimiter === '\n' || csv.delimiter === '\r') return false;
  if (spec.format !== 'auto' && spec.format !== 'csv') return false;
  const named = formatFromName(name);
  return spec.format === 'csv' || named === undefined || named === 'csv';
}

/**
 * A CSV file or object as a pass-through reader: gunzipped when it is gzip,
 * the BOM dropped, header included (COPY skips it), every byte checked by a
 * `CsvPassThroughScanner` (and any field checks) before it is handed out.
 * Undefined when the object is not CSV or its header does not name
 * `request.columns` in order.
 */
export async function openCsvPassThrough(
  object: SourceObject,
  spec: ObjectReadSpec,
  request: PassThroughRequest,
  cursorAfter: () => CursorState | undefined,
): Promise<PassThroughReader | undefined> {
  if (!csvSpecPassesThrough(spec, object.name)) return undefined;
  let raw: Readable;
  try {
    raw = await object.open();
  } catch (error) {
    throw toConnectorError(error, `${object.name}: cannot open`);
  }
  const counter = new ByteCounter();
  let stream: Readable = pipeline(raw, counter, () => undefined);
  let first = await peek(stream, 4096);
  stream = first.stream;
  const mayBeGzip = spec.compression === 'gzip' || (spec.compression === 'auto' && GZIP_EXT.test(object.name));
  if (spec.compression === 'gzip' || (spec.compression === 'auto' && (mayBeGzip || isGzip(first.head)))) {
    stream = pipeline(stream, createGunzip(), () => undefined);
  }
  first = await peek(stream, SNIFF_BYTES).catch((error: unknown) => {
    stream.destroy();
    throw toConnectorError(error, `${object.name}: not valid gzip`);
  });
  stream = first.stream;
  let head = first.head;
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  if (bom) head = head.subarray(3);
  const format = spec.format !== 'auto' ? spec.format : (formatFromName(object.name) ?? formatFromContent(head));
  const delimiter = spec.csv?.delimiter ?? sniffDelimiter(head.toString('utf8'), first.ended);
  if (format !== 'csv' || Buffer.byteLength(delimiter) !== 1) {
    stream.destroy();
    return undefined;
  }
  const expected = [...request.columns];
  const checkHeader = (bytes: Buffer): string | undefined => {
    const text = bytes.toString('utf8').replace(/\r?\n$/, '');
    let cells: string[];
    try {
      const records: string[][] = parse(text, { delimiter, bom: false, relax_quotes: true });
      cells = records[0] ?? [];
    } catch {
      return 'the header line does not parse';
    }
    const names = headerNames(cells);
    return names.length === expected.length && names.every((n, i) => n === expected[i])
      ? undefined
      : 'the header does not name the expected columns';
  };
  const notNull = (request.notNull ?? []).map((name) => expected.indexOf(name));
  if (notNull.some((index) => index < 0)) {
    stream.destroy();
    return undefined;
  }
  const scanner = new CsvPassThroughScanner(delimiter.charCodeAt(0), expected.length, true, checkHeader, notNull);
  // A chunk holds about a batch of rows: the engine reports progress, checks for a cancel and
  // counts a batch per chunk, as on the row path.
  const rowBytes = head.length / Math.max(1, countLines(head));
  const chunkBytes = Math.min(4 << 20, Math.max(16 << 10, Math.round(rowBytes * (request.batchSize ?? 2000))));
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    stream.destroy();
  };
  let done = false;
  async function* chunks(): AsyncGenerator<Buffer> {
    let skip = bom ? 3 : 0;
    try {
      for await (const piece of stream as AsyncIterable<Buffer>) {
        request.signal?.throwIfAborted();
        let chunk = piece;
        if (skip > 0) {
          const n = Math.min(skip, chunk.length);
          chunk = chunk.subarray(n);
          skip -= n;
          if (chunk.length === 0) continue;
        }
        for (let at = 0; at < chunk.length; at += chunkBytes) {
          const piece = chunk.length <= chunkBytes ? chunk : chunk.subarray(at, at + chunkBytes);
          scanner.push(piece);
          yield piece;
        }
      }
      scanner.end();
      done = true;
    } catch (error) {
      if ((error as { passThroughRejected?: boolean }).passThroughRejected) throw error;
      throw toConnectorError(error, `${object.name}: cannot read CSV`);
    } finally {
      await close();
    }
  }
  return {
    columns: expected,
    format: { kind: 'csv', delimiter, header: true },
    valuesAreText: true,
    chunks,
    get rows() {
      return scanner.rows;
    },
    get bytes() {
      return counter.total;
    },
    cursor: () => (done ? cursorAfter() : undefined),
    close,
    positionOf: (ordinal) => `${object.name}:${scanner.lineOf(ordinal)}`,
    checkFields: (checker) => scanner.checkFields(checker),
  };
}
