import type { LogicalType } from '@aoe/contracts';

/** pg_type names (of the base type, for domains) that map to something other than `string`. */
const LOGICAL_BY_TYPNAME: Readonly<Record<string, LogicalType>> = {
  int2: 'integer',
  int4: 'integer',
  int8: 'bigint',
  oid: 'bigint',
  float4: 'number',
  float8: 'number',
  numeric: 'decimal',
  bool: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  json: 'json',
  jsonb: 'json',
  bytea: 'binary',
};

/**
 * pg_type.typcategory values of types that a source reads as JSON
 * (`to_jsonb(column)`): arrays and composites have no scalar logical type.
 * (Ranges stay text: `[1,5)`.)
 */
const JSON_CATEGORIES = new Set(['A', 'C']);

/** A type as pg_catalog describes it (the base type's name and category for a domain). */
export interface PgTypeInfo {
  typname: string;
  category: string;
}

export function logicalTypeOf(type: PgTypeInfo): LogicalType {
  if (JSON_CATEGORIES.has(type.category)) return 'json';
  return LOGICAL_BY_TYPNAME[type.typname] ?? 'string';
}

/** Whether a source must select the column through `to_jsonb()` to get a JSON value. */
export function readsAsJson(type: PgTypeInfo): boolean {
  return JSON_CATEGORIES.has(type.category);
}

/** The column type a sink creates for a logical type. */
export function pgTypeFor(type: LogicalType): string {
  switch (type) {
    case 'string':
      return 'text';
    case 'integer':
      return 'integer';
    case 'bigint':
      return 'bigint';
    case 'number':
      return 'double precision';
    case 'decimal':
      return 'numeric';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'timestamp':
      return 'timestamp without time zone';
    case 'timestamptz':
      return 'timestamp with time zone';
    case 'json':
      return 'jsonb';
    case 'binary':
      return 'bytea';
  }
}

/**
 * Target column types that take incoming values of a logical type without a
 * change to the table: the same type, a wider one, or text.
 */
const ACCEPTS: Readonly<Record<LogicalType, readonly LogicalType[]>> = {
  string: ['string'],
  integer: ['integer', 'bigint', 'decimal', 'number', 'string'],
  bigint: ['bigint', 'decimal', 'string'],
  number: ['number', 'string'],
  decimal: ['decimal', 'string'],
  boolean: ['boolean', 'string'],
  date: ['date', 'timestamp', 'timestamptz', 'string'],
  timestamp: ['timestamp', 'string'],
  timestamptz: ['timestamptz', 'string'],
  json: ['json', 'string'],
  binary: ['binary'],
};

export function targetAccepts(target: LogicalType, incoming: LogicalType): boolean {
  return ACCEPTS[incoming].includes(target);
}
