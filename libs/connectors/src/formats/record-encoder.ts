import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify/sync';
import type { FieldDefinition, ParquetType, ParquetWriter } from '@dsnp/parquetjs';
import type { LogicalType } from '@aoe/contracts';
import type { ColumnSchema, Row, Value } from '../connector';
import { ConnectorError } from '../connector-error';
import { SCHEMA_METADATA_KEY, type StoredColumn } from './parquet.decoder';
import { parquetjs } from './parquetjs';
import type { RecordFormat } from './record-stream';
import { drained, writeChunk } from './stream-utils';

/**
 * Writes rows in one format to a stream, honouring its backpressure. Values
 * may arrive as strings (CSV sources leave casting to the sink): the Parquet
 * encoder casts them to the column's type and fails with class data-quality
 * on a value that does not cast.
 */
export interface RecordEncoder {
  readonly format: RecordFormat;
  readonly columns: readonly ColumnSchema[];
  write(rows: readonly Row[]): Promise<void>;
  /** Finishes the output (the Parquet footer), ends the stream and waits until it is flushed. */
  close(): Promise<void>;
}

export interface EncoderOptions {
  /** Parquet rows buffered per row group (the write-side memory bound). */
  rowGroupSize?: number;
}

export async function createEncoder(
  format: RecordFormat,
  columns: readonly ColumnSchema[],
  out: Writable,
  options: EncoderOptions = {},
): Promise<RecordEncoder> {
  switch (format) {
    case 'csv':
      return new CsvEncoder(columns, out);
    case 'jsonl':
      return new JsonlEncoder(columns, out);
    case 'parquet':
      return ParquetEncoder.open(columns, out, options.rowGroupSize ?? 8192);
  }
}

function base64(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
}

function dateText(value: Date, type: LogicalType): string {
  return type === 'date' ? value.toISOString().slice(0, 10) : value.toISOString();
}

/** A value as CSV text: null stays null (an empty unquoted cell), an empty string is written `""`. */
export function toCsvCell(value: Value | undefined, type: LogicalType): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return dateText(value, type);
  if (value instanceof Uint8Array) return base64(value);
  return JSON.stringify(value);
}

class CsvEncoder implements RecordEncoder {
  readonly format = 'csv';
  private headerWritten = false;

  constructor(
    readonly columns: readonly ColumnSchema[],
    private readonly out: Writable,
  ) {}

  async write(rows: readonly Row[]): Promise<void> {
    const records = rows.map((row) => this.columns.map((column) => toCsvCell(row[column.name], column.type)));
    if (!this.headerWritten) {
      records.unshift(this.columns.map((column) => column.name));
      this.headerWritten = true;
    }
    if (records.length === 0) return;
    // `quoted_match` on the empty string quotes '' but not null: the two stay apart.
    await writeChunk(this.out, stringify(records, { quoted_match: /^$/, record_delimiter: '\n' }));
  }

  async close(): Promise<void> {
    if (!this.headerWritten) await this.write([]);
    this.out.end();
    await finished(this.out);
  }
}

function toJsonValue(value: Value | undefined, type: LogicalType): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return dateText(value, type);
  if (value instanceof Uint8Array) return base64(value);
  return value;
}

class JsonlEncoder implements RecordEncoder {
  readonly format = 'jsonl';

  constructor(
    readonly columns: readonly ColumnSchema[],
    private readonly out: Writable,
  ) {}

  async write(rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    let text = '';
    for (const row of rows) {
      const record: Record<string, unknown> = {};
      for (const column of this.columns) record[column.name] = toJsonValue(row[column.name], column.type);
      text += `${JSON.stringify(record)}\n`;
    }
    await writeChunk(this.out, text);
  }

  async close(): Promise<void> {
    this.out.end();
    await finished(this.out);
  }
}

const PARQUET_TYPES: Record<LogicalType, ParquetType> = {
  string: 'UTF8',
  integer: 'INT32',
  bigint: 'INT64',
  number: 'DOUBLE',
  // Exact: a decimal's text, not a double. The logical type travels in the file's metadata.
  decimal: 'UTF8',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP_MILLIS',
  timestamptz: 'TIMESTAMP_MILLIS',
  json: 'JSON',
  binary: 'BYTE_ARRAY',
};

/** parquetjs splits field paths on commas: such names are stored percent-encoded, the real name in the metadata. */
export function physicalName(name: string): string {
  return name.includes(',') ? name.replace(/%/g, '%25').replace(/,/g, '%2C') : name;
}

class CastError extends Error {}

const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;
const TRUE_TEXT = /^(true|t|yes|y|1)$/i;
const FALSE_TEXT = /^(false|f|no|n|0)$/i;
const OFFSET = /(Z|[+-]\d{2}(:?\d{2})?)$/i;

/** Casts a value to what parquetjs expects for a column of this type. */
export function toParquetValue(value: Value | undefined, type: LogicalType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string':
    case 'decimal':
      return toCsvCell(value, type);
    case 'integer': {
      const n =
        typeof value === 'number' ? value : typeof value === 'string' && INTEGER_TEXT.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n) || n < -2_147_483_648 || n > 2_147_483_647) throw new CastError('not a 32-bit integer');
      return n;
    }
    case 'bigint': {
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
      if (typeof value === 'string' && INTEGER_TEXT.test(value)) return BigInt(value.trim());
      throw new CastError('not a 64-bit integer');
    }
    case 'number': {
      const n =
        typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (Number.isNaN(n) && value !== 'NaN') throw new CastError('not a number');
      return n;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
      if (TRUE_TEXT.test(text)) return true;
      if (FALSE_TEXT.test(text)) return false;
      throw new CastError('not a boolean');
    }
    case 'date': {
      const date =
        value instanceof Date
          ? value
          : typeof value === 'string'
            ? new Date(`${value.slice(0, 10)}T00:00:00Z`)
            : undefined;
      if (!date || Number.isNaN(date.getTime())) throw new CastError('not a date');
      return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
    }
    case 'timestamp':
    case 'timestamptz': {
      let date: Date | undefined;
      if (value instanceof Date) date = value;
      else if (typeof value === 'string') {
        // A timestamp without an offset is read as UTC, so the same text gives the same instant everywhere.
        const text = value.trim().replace(' ', 'T');
        date = new Date(OFFSET.test(text) ? text : `${text}Z`);
      } else if (typeof value === 'number') date = new Date(value);
      if (!date || Number.isNaN(date.getTime())) throw new CastError('not a timestamp');
      return date;
    }
    case 'json':
      if (typeof value === 'string') {
        try {
          return JSON.parse(value) as unknown;
        } catch {
          return value;
        }
      }
      return value instanceof Date ? value.toISOString() : value instanceof Uint8Array ? base64(value) : value;
    case 'binary':
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      return Buffer.from(toCsvCell(value, 'string') ?? '', 'utf8');
  }
}

class ParquetEncoder implements RecordEncoder {
  readonly format = 'parquet';

  private constructor(
    readonly columns: readonly ColumnSchema[],
    private readonly out: Writable,
    private readonly writer: ParquetWriter,
    private readonly physical: string[],
  ) {}

  static async open(columns: readonly ColumnSchema[], out: Writable, rowGroupSize: number): Promise<ParquetEncoder> {
    const definition: Record<string, FieldDefinition> = {};
    const stored: StoredColumn[] = [];
    const physical: string[] = [];
    for (const column of columns) {
      const name = physicalName(column.name);
      if (name in definition) {
        throw new ConnectorError('schema-drift', `two columns are both stored as "${name}" in Parquet`);
      }
      definition[name] = { type: PARQUET_TYPES[column.type], optional: true, compression: 'SNAPPY' };
      physical.push(name);
      stored.push({
        name: column.name,
        type: column.type,
        nullable: column.nullable,
        ...(name !== column.name ? { physical: name } : {}),
      });
    }
    // parquetjs types its stream as an fs.WriteStream but only calls write(chunk, cb) and end(cb).
    const stream = out as unknown as Parameters<typeof ParquetWriter.openStream>[1];
    const { ParquetSchema, ParquetWriter } = parquetjs();
    const writer = await ParquetWriter.openStream(new ParquetSchema(definition), stream, { rowGroupSize });
    writer.setMetadata(SCHEMA_METADATA_KEY, JSON.stringify({ columns: stored }));
    return new ParquetEncoder(columns, out, writer, physical);
  }

  async write(rows: readonly Row[]): Promise<void> {
    for (const row of rows) {
      const record: Record<string, unknown> = {};
      for (let i = 0; i < this.columns.length; i++) {
        const column = this.columns[i];
        const value = row[column.name];
        try {
          record[this.physical[i]] = toParquetValue(value, column.type);
        } catch (error) {
          if (!(error instanceof CastError)) throw error;
          throw new ConnectorError(
            'data-quality',
            `column "${column.name}" (${column.type}): ${error.message}: ${JSON.stringify(toCsvCell(value, 'string'))?.slice(0, 80)}`,
          );
        }
      }
      await this.writer.appendRow(record);
    }
    await drained(this.out);
  }

  async close(): Promise<void> {
    await this.writer.close();
    await finished(this.out);
  }
}
