import { stat } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ColumnSchema } from '../connector';
import { decodeCsv, type CsvDecodeOptions } from './csv.decoder';
import type { DecodedRecord } from './decoded-record';
import { decodeJsonl } from './jsonl.decoder';
import { decodeParquetFile } from './parquet.decoder';
import { toConnectorError } from './stream-errors';
import { peek, spoolToTempFile, type ByteCounter } from './stream-utils';

export type RecordFormat = 'csv' | 'jsonl' | 'parquet';
export type FormatOption = 'auto' | RecordFormat;
export type CompressionOption = 'auto' | 'none' | 'gzip';

export interface ObjectReadSpec {
  format: FormatOption;
  compression: CompressionOption;
  csv?: CsvDecodeOptions;
}

/** Told what a decoder learnt before its first row (for discovery). */
export interface DecodeHooks {
  format?(format: RecordFormat): void;
  /** Column names (CSV header) or declared columns (Parquet schema, `declared` true). */
  columns?(columns: ColumnSchema[], declared: boolean): void;
}

/** A file or an object to decode. */
export interface SourceObject {
  /** Shown in positions and errors: `orders.csv`, `s3://bucket/key.jsonl`. */
  name: string;
  /** Opens the raw (possibly compressed) bytes. */
  open(): Promise<Readable>;
  /** The object is this local file: Parquet is then read in place instead of copied. */
  localPath?: string;
}

const GZIP_EXT = /\.(gz|gzip)$/i;
const PARQUET_MAGIC = Buffer.from('PAR1');

/** The format a name's extension says (`orders.csv.gz` is CSV), if it says one. */
export function formatFromName(name: string): RecordFormat | undefined {
  const base = name.replace(GZIP_EXT, '').toLowerCase();
  if (/\.(csv|tsv|txt|psv)$/.test(base)) return 'csv';
  if (/\.(jsonl|ndjson|json)$/.test(base)) return 'jsonl';
  if (/\.(parquet|pq)$/.test(base)) return 'parquet';
  return undefined;
}

/** The format the first bytes suggest: Parquet's magic, a JSON object, else CSV. */
export function formatFromContent(head: Buffer): RecordFormat {
  if (head.subarray(0, 4).equals(PARQUET_MAGIC)) return 'parquet';
  const text = head
    .subarray(0, 256)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  return text.startsWith('{') ? 'jsonl' : 'csv';
}

export function isGzip(head: Buffer): boolean {
  return head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Decodes one file or object: gunzips it when asked (or, with `auto`, when its
 * name ends in `.gz` or it starts with the gzip magic bytes), picks the format
 * (given, by extension, else by content) and yields decoded records in order.
 * Parquet that is not a plain local file is streamed to a temporary file first
 * (it needs random access) and the file removed afterwards. Bytes read (before
 * decompression) are counted by `counter`.
 */
export async function* decodeObject(
  object: SourceObject,
  spec: ObjectReadSpec,
  counter: ByteCounter,
  hooks: DecodeHooks = {},
): AsyncGenerator<DecodedRecord[]> {
  const onDeclared = (columns: ColumnSchema[]): void => hooks.columns?.(columns, true);
  const named = formatFromName(object.name);
  const mayBeGzip = spec.compression === 'gzip' || (spec.compression === 'auto' && GZIP_EXT.test(object.name));
  if (
    object.localPath &&
    !mayBeGzip &&
    (spec.format === 'parquet' || (spec.format === 'auto' && named === 'parquet'))
  ) {
    hooks.format?.('parquet');
    yield* decodeParquetFile(object.localPath, object.name, onDeclared);
    counter.total += (await stat(object.localPath)).size;
    return;
  }

  let raw: Readable;
  try {
    raw = await object.open();
  } catch (error) {
    throw toConnectorError(error, `${object.name}: cannot open`);
  }
  const counted = pipeline(raw, counter, () => undefined);
  const first = await peek(counted, 4096);
  let stream = first.stream;
  let head = first.head;
  if (spec.compression === 'gzip' || (spec.compression === 'auto' && (mayBeGzip || isGzip(head)))) {
    const gunzipped = await peek(
      pipeline(stream, createGunzip(), () => undefined),
      4096,
    ).catch((error: unknown) => {
      stream.destroy();
      throw toConnectorError(error, `${object.name}: not valid gzip`);
    });
    stream = gunzipped.stream;
    head = gunzipped.head;
  }
  const format = spec.format !== 'auto' ? spec.format : (named ?? formatFromContent(head));
  hooks.format?.(format);
  switch (format) {
    case 'csv':
      yield* decodeCsv(stream, object.name, spec.csv, (names) =>
        hooks.columns?.(
          names.map((name) => ({ name, type: 'string', nullable: true })),
          false,
        ),
      );
      return;
    case 'jsonl':
      yield* decodeJsonl(stream, object.name);
      return;
    case 'parquet': {
      const spooled = await spoolToTempFile(stream, 'object.parquet').catch((error: unknown) => {
        throw toConnectorError(error, `${object.name}: cannot download`);
      });
      try {
        yield* decodeParquetFile(spooled.path, object.name, onDeclared);
      } finally {
        await spooled.dispose();
      }
      return;
    }
  }
}
