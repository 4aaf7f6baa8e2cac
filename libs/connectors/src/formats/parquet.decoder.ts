import type { ParquetReader } from '@dsnp/parquetjs';
import type { LogicalType } from '@aoe/contracts';
import type { ColumnSchema, Row, Value } from '../connector';
import { ConnectorError } from '../connector-error';
import { DECODE_CHUNK, type DecodedRecord } from './decoded-record';
import { parquetjs } from './parquetjs';
import { toConnectorError } from './stream-errors';

/** Key of the Parquet key-value metadata where the Parquet encoder records the logical schema. */
export const SCHEMA_METADATA_KEY = 'aoe.schema';

export interface StoredColumn extends ColumnSchema {
  /** The Parquet field name, when it differs from `name` (parquetjs cannot hold a comma in one). */
  physical?: string;
}

interface ParquetFieldLike {
  name: string;
  primitiveType?: string;
  originalType?: string;
  repetitionType: string;
  isNested?: boolean;
  fields?: Record<string, unknown>;
}

/** The logical schema recorded by our encoder, if this file has one. */
function storedColumns(reader: ParquetReader): StoredColumn[] | undefined {
  const raw = reader.getMetadata()[SCHEMA_METADATA_KEY];
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed = JSON.parse(raw) as { columns?: StoredColumn[] };
    return Array.isArray(parsed.columns) ? parsed.columns : undefined;
  } catch {
    return undefined;
  }
}

const BY_ORIGINAL_TYPE: Record<string, LogicalType> = {
  UTF8: 'string',
  ENUM: 'string',
  JSON: 'json',
  BSON: 'json',
  LIST: 'json',
  MAP: 'json',
  DATE: 'date',
  TIMESTAMP_MILLIS: 'timestamptz',
  TIMESTAMP_MICROS: 'timestamptz',
  DECIMAL: 'decimal',
  INT_8: 'integer',
  INT_16: 'integer',
  INT_32: 'integer',
  UINT_8: 'integer',
  UINT_16: 'integer',
  UINT_32: 'bigint',
  INT_64: 'bigint',
  UINT_64: 'decimal',
};

const BY_PRIMITIVE_TYPE: Record<string, LogicalType> = {
  BOOLEAN: 'boolean',
  INT32: 'integer',
  INT64: 'bigint',
  INT96: 'timestamptz',
  FLOAT: 'number',
  DOUBLE: 'number',
};

function logicalTypeOf(field: ParquetFieldLike): LogicalType {
  if (field.isNested || field.fields || field.repetitionType === 'REPEATED') return 'json';
  return (
    (field.originalType && BY_ORIGINAL_TYPE[field.originalType]) ||
    (field.primitiveType && BY_PRIMITIVE_TYPE[field.primitiveType]) ||
    'binary'
  );
}

/** The columns of a Parquet file: the logical schema our encoder stored, else mapped from Parquet types. */
export function parquetColumns(reader: ParquetReader): StoredColumn[] {
  const stored = storedColumns(reader);
  if (stored) return stored;
  const fields = reader.getSchema().fields as unknown as Record<string, ParquetFieldLike>;
  return Object.values(fields).map((field) => ({
    name: field.name,
    type: logicalTypeOf(field),
    nullable: field.repetitionType !== 'REQUIRED',
    declaredType: field.originalType ?? field.primitiveType ?? 'GROUP',
  }));
}

/** Parquet values as they travel: 64-bit integers as numbers when exact, else strings; dates as `YYYY-MM-DD`. */
function convert(value: unknown, type: LogicalType | undefined): Value {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) {
    return type === 'date' ? value.toISOString().slice(0, 10) : value;
  }
  if (Buffer.isBuffer(value) && type === 'decimal') return value.toString('utf8');
  if (Array.isArray(value)) return value.map((item) => convert(item, undefined));
  if (typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, Value> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) out[key] = convert(inner, undefined);
    return out;
  }
  return value as Value;
}

/** Opens a Parquet file, mapping a failure to a ConnectorError of class data-quality. */
export async function openParquet(path: string, name: string): Promise<ParquetReader> {
  try {
    return await parquetjs().ParquetReader.openFile(path);
  } catch (error) {
    throw parquetError(error, `${name}: not a readable Parquet file`);
  }
}

/** Errors from the file system keep their class; anything else the Parquet library raises is malformed content. */
function parquetError(error: unknown, doing: string): ConnectorError {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return toConnectorError(error, doing);
  return new ConnectorError('data-quality', `${doing}: ${(error as Error).message}`, { cause: error });
}

/**
 * Decodes a Parquet file row by row (one row group in memory at a time).
 * Positions are `<name>:<row number>` (1-based).
 */
export async function* decodeParquetFile(
  path: string,
  name: string,
  onColumns?: (columns: ColumnSchema[]) => void,
): AsyncGenerator<DecodedRecord[]> {
  const reader = await openParquet(path, name);
  try {
    const columns = parquetColumns(reader);
    onColumns?.(columns.map(({ physical: _physical, ...column }) => column));
    const byPhysical = new Map(columns.map((column) => [column.physical ?? column.name, column]));
    const cursor = reader.getCursor();
    let index = 0;
    let out: DecodedRecord[] = [];
    for (;;) {
      let record: unknown;
      try {
        record = await cursor.next();
      } catch (error) {
        throw parquetError(error, `${name}:${index + 1}: cannot decode Parquet`);
      }
      if (record === null || record === undefined) break;
      index += 1;
      const row: Row = {};
      for (const [physical, value] of Object.entries(record as Record<string, unknown>)) {
        const column = byPhysical.get(physical);
        row[column?.name ?? physical] = convert(value, column?.type);
      }
      out.push({ row, position: `${name}:${index}` });
      if (out.length >= DECODE_CHUNK) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    await reader.close();
  }
}
