import { constants, gunzipSync } from 'node:zlib';
import { formatFromContent, formatFromName, sniffDelimiter, type RecordFormat } from '@aoe/connectors';

/** Bytes read from the start of the first file or object to tell its format, encoding and delimiter. */
export const HEAD_BYTES = 64 * 1024;

export type TextEncoding = 'utf-8' | 'latin1' | 'utf-16le';

export interface HeadFacts {
  format: RecordFormat;
  compression: 'none' | 'gzip';
  /** Text formats only. */
  encoding?: TextEncoding;
  /** CSV only. */
  delimiter?: string;
  /** gzip only: decoded bytes per compressed byte in the head. */
  ratio?: number;
}

export interface ObjectSpecLike {
  format: 'auto' | RecordFormat;
  compression: 'auto' | 'none' | 'gzip';
  csv?: { delimiter?: string; encoding?: TextEncoding };
}

const GZIP_NAME = /\.(gz|gzip)$/i;

/**
 * The encoding of a text sample: a UTF-8 or UTF-16LE byte-order mark says so;
 * otherwise bytes that decode as UTF-8 are UTF-8 (a character cut at the end of
 * the sample is allowed), and anything else is taken as Latin-1.
 */
export function detectEncoding(bytes: Buffer): TextEncoding {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  // Drop a multi-byte sequence the sample may have cut in half.
  let end = bytes.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const byte = bytes[end - back];
    if ((byte & 0xc0) === 0x80) continue;
    if (byte >= 0xc0) end -= back;
    break;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
    return 'utf-8';
  } catch {
    return 'latin1';
  }
}

function gunzipHead(head: Buffer): Buffer {
  try {
    // Z_SYNC_FLUSH lets a truncated stream (the head of a large file) decode as far as it goes.
    return gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

function textOf(bytes: Buffer, encoding: TextEncoding): string {
  const text =
    encoding === 'utf-16le' ? bytes.toString('utf16le') : bytes.toString(encoding === 'latin1' ? 'latin1' : 'utf8');
  return text.replace(/^\uFEFF/, '');
}

/**
 * What the first bytes of a file or object say, the way the connectors decide
 * it: gzip by option, name or magic bytes; the format by option, extension or
 * content; for text, the encoding (a non-UTF-8 one the spec gives, else
 * detected); for CSV, the delimiter (as given, else
 * sniffed from the first lines). `complete` says the head is the whole object.
 */
export function inspectHead(name: string, head: Buffer, complete: boolean, spec: ObjectSpecLike): HeadFacts {
  const gzip =
    spec.compression === 'gzip' ||
    (spec.compression === 'auto' && (GZIP_NAME.test(name) || (head[0] === 0x1f && head[1] === 0x8b)));
  const bytes = gzip ? gunzipHead(head) : head;
  const format = spec.format !== 'auto' ? spec.format : (formatFromName(name) ?? formatFromContent(bytes));
  const facts: HeadFacts = { format, compression: gzip ? 'gzip' : 'none' };
  if (gzip && head.length > 0 && bytes.length > 0) facts.ratio = bytes.length / head.length;
  if (format === 'parquet') return facts;
  // UTF-8 is the spec's default, so only another encoding given in the spec overrides what the bytes say.
  const given = spec.csv?.encoding;
  const encoding = format === 'csv' ? (given && given !== 'utf-8' ? given : detectEncoding(bytes)) : 'utf-8';
  facts.encoding = encoding;
  if (format === 'csv')
    facts.delimiter = spec.csv?.delimiter ?? sniffDelimiter(textOf(bytes, encoding), complete && !gzip);
  return facts;
}
