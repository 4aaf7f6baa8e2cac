import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { randomInt, seededRandom } from './seeded-random';

export type ColumnKind = 'integer' | 'number' | 'string' | 'date' | 'boolean';

export interface DatasetColumn {
  name: string;
  type: ColumnKind;
  /** Share of rows with no value (an empty cell, a JSON null); never for `id`. */
  nullRate?: number;
}

export const DEFAULT_COLUMNS: readonly DatasetColumn[] = [
  { name: 'id', type: 'integer' },
  { name: 'name', type: 'string' },
  { name: 'amount', type: 'number' },
  { name: 'created_on', type: 'date' },
];

/**
 * A malformed record and what must become of it under a load that casts every
 * typed column (`castOperations`) and quarantines failures:
 *
 * | kind             | written as                                   | outcome                                         |
 * | ---------------- | -------------------------------------------- | ----------------------------------------------- |
 * | `extra-field`    | one field more (CSV)                         | rejected by the source: `expected N fields, …`  |
 * | `missing-field`  | one field less (CSV)                         | rejected by the source                          |
 * | `broken-quote`   | a quote opened at field 2, closed at the end | rejected by the source (2 fields)               |
 * | `broken-json`    | half a JSON object (JSON Lines)              | rejected by the source: `invalid JSON: …`       |
 * | `invalid-number` | `12x` / `1.2.3` in a numeric column          | fails its cast                                  |
 * | `bad-encoding`   | bytes C3 28 (not UTF-8) in `column`          | numeric column: fails its cast; text: loads with U+FFFD |
 */
export type MalformedKind =
  'extra-field' | 'missing-field' | 'broken-quote' | 'broken-json' | 'invalid-number' | 'bad-encoding';

export interface MalformedRow {
  /** The data record it replaces (1-based; the header is not counted). */
  row: number;
  kind: MalformedKind;
  /** For `invalid-number` and `bad-encoding`: the column (default: the first that fits). */
  column?: string;
}

export type SchemaChange =
  | { kind: 'add'; column: DatasetColumn }
  | { kind: 'remove'; column: string }
  | { kind: 'retype'; column: string; to: ColumnKind };

export interface DatasetOptions {
  format?: 'csv' | 'jsonl';
  rows: number;
  seed?: string;
  columns?: readonly DatasetColumn[];
  malformed?: readonly MalformedRow[];
  /** The first row's id (default 1): a later run can continue where the last one ended. */
  idStart?: number;
}

/** What a written dataset must give: exactly these rows loaded, exactly these quarantined. */
export interface DatasetManifest {
  path: string;
  format: 'csv' | 'jsonl';
  columns: DatasetColumn[];
  /** Rows that must load, with the values the source decodes (text for CSV, JSON values for JSON Lines). */
  loaded: Array<{ line: number; row: Record<string, unknown> }>;
  /** Records that must be quarantined, with the stage that refuses them. */
  quarantined: Array<{ line: number; position: string; kind: MalformedKind; stage: 'source' | 'transform' }>;
  /** Malformed records that still load (invalid UTF-8 in a text column arrives as U+FFFD). */
  altered: Array<{ line: number; column: string }>;
  /** The seed and the next id, so `rewriteDataset` continues the series. */
  seed: string;
  nextId: number;
}

const CAST_TYPES = { integer: 'integer', number: 'number', date: 'date', boolean: 'boolean' } as const;

/** The transform operations that cast every typed column: the load the manifest's outcomes assume. */
export function castOperations(
  columns: readonly DatasetColumn[],
): Array<{ op: 'cast'; column: string; to: (typeof CAST_TYPES)[keyof typeof CAST_TYPES] }> {
  return columns.flatMap((c) =>
    c.type === 'string' ? [] : [{ op: 'cast' as const, column: c.name, to: CAST_TYPES[c.type] }],
  );
}

export function applySchemaChange(columns: readonly DatasetColumn[], change: SchemaChange): DatasetColumn[] {
  const known = (name: string): void => {
    if (!columns.some((c) => c.name === name)) throw new Error(`the dataset has no column "${name}"`);
  };
  switch (change.kind) {
    case 'add':
      if (columns.some((c) => c.name === change.column.name)) {
        throw new Error(`the dataset already has a column "${change.column.name}"`);
      }
      return [...columns, change.column];
    case 'remove':
      known(change.column);
      return columns.filter((c) => c.name !== change.column);
    case 'retype':
      known(change.column);
      return columns.map((c) => (c.name === change.column ? { ...c, type: change.to } : c));
  }
}

/** Writes a CSV or JSON Lines dataset with malformed records at known rows, and says what must become of each. */
export async function writeDataset(path: string, options: DatasetOptions): Promise<DatasetManifest> {
  const format = options.format ?? (path.endsWith('.jsonl') ? 'jsonl' : 'csv');
  const columns = [...(options.columns ?? DEFAULT_COLUMNS)];
  const seed = options.seed ?? 'dataset';
  const idStart = options.idStart ?? 1;
  const random = seededRandom(`${seed}:${idStart}`);
  const malformed = new Map((options.malformed ?? []).map((m) => [m.row, m]));
  const name = basename(path);
  const manifest: DatasetManifest = {
    path,
    format,
    columns,
    loaded: [],
    quarantined: [],
    altered: [],
    seed,
    nextId: idStart + options.rows,
  };
  const lines: Buffer[] = [];
  if (format === 'csv') lines.push(Buffer.from(columns.map((c) => csvCell(c.name)).join(',')));
  for (let i = 0; i < options.rows; i++) {
    const id = idStart + i;
    const line = lines.length + 1;
    const values = columns.map((c) => valueOf(c, id, random));
    const fault = malformed.get(i + 1);
    if (!fault) {
      lines.push(format === 'csv' ? csvLine(values) : jsonLine(columns, values));
      manifest.loaded.push({ line, row: decoded(columns, values, format) });
      continue;
    }
    const written = writeMalformed(fault, columns, values, format);
    lines.push(written.bytes);
    if (written.outcome === 'loads') {
      manifest.loaded.push({ line, row: { ...decoded(columns, values, format), [written.column]: written.value } });
      manifest.altered.push({ line, column: written.column });
    } else {
      manifest.quarantined.push({ line, position: `${name}:${line}`, kind: fault.kind, stage: written.outcome });
    }
  }
  await writeFile(path, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
  return manifest;
}

/** Writes the next run's file in place: the series continues (new ids), optionally with a schema change. */
export async function rewriteDataset(
  manifest: DatasetManifest,
  options: { rows: number; change?: SchemaChange; malformed?: readonly MalformedRow[] },
): Promise<DatasetManifest> {
  const columns = options.change ? applySchemaChange(manifest.columns, options.change) : manifest.columns;
  return writeDataset(manifest.path, {
    format: manifest.format,
    rows: options.rows,
    seed: manifest.seed,
    columns,
    malformed: options.malformed,
    idStart: manifest.nextId,
  });
}

function valueOf(column: DatasetColumn, id: number, random: () => number): string | number | boolean | null {
  const draw = random();
  if (column.name !== 'id' && column.nullRate && draw < column.nullRate) return null;
  switch (column.type) {
    case 'integer':
      return column.name === 'id' ? id : randomInt(random, 0, 1000);
    case 'number':
      return Math.round(random() * 1_000_000) / 100;
    case 'string':
      return `${column.name} ${id}`;
    case 'date':
      return new Date(Date.UTC(2024, 0, 1) + (id % 730) * 86_400_000).toISOString().slice(0, 10);
    case 'boolean':
      return random() < 0.5;
  }
}

function decoded(
  columns: DatasetColumn[],
  values: Array<string | number | boolean | null>,
  format: 'csv' | 'jsonl',
): Record<string, unknown> {
  return Object.fromEntries(
    columns.map((c, i) => [c.name, format === 'csv' && values[i] !== null ? String(values[i]) : values[i]]),
  );
}

function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(values: Array<string | number | boolean | null>): Buffer {
  return Buffer.from(values.map(csvCell).join(','));
}

function jsonLine(columns: DatasetColumn[], values: Array<string | number | boolean | null>): Buffer {
  return Buffer.from(JSON.stringify(Object.fromEntries(columns.map((c, i) => [c.name, values[i]]))));
}

const NOT_UTF8 = Buffer.from([0xc3, 0x28]);

type Written =
  | { bytes: Buffer; outcome: 'source' | 'transform' }
  | { bytes: Buffer; outcome: 'loads'; column: string; value: string };

function writeMalformed(
  fault: MalformedRow,
  columns: DatasetColumn[],
  values: Array<string | number | boolean | null>,
  format: 'csv' | 'jsonl',
): Written {
  const csvOnly = (): void => {
    if (format !== 'csv') throw new Error(`${fault.kind} is a CSV fault; JSON Lines has broken-json`);
  };
  const cells = values.map(csvCell);
  switch (fault.kind) {
    case 'extra-field':
      csvOnly();
      return { bytes: Buffer.from([...cells, 'extra'].join(',')), outcome: 'source' };
    case 'missing-field':
      csvOnly();
      return { bytes: Buffer.from(cells.slice(0, -1).join(',')), outcome: 'source' };
    case 'broken-quote':
      csvOnly();
      if (cells.length < 3) throw new Error('broken-quote needs at least 3 columns');
      return { bytes: Buffer.from(`${cells[0]},"${cells.slice(1).join(',')}"`), outcome: 'source' };
    case 'broken-json': {
      if (format !== 'jsonl') throw new Error('broken-json is a JSON Lines fault');
      const text = jsonLine(columns, values).toString();
      return { bytes: Buffer.from(text.slice(0, Math.floor(text.length / 2))), outcome: 'source' };
    }
    case 'invalid-number': {
      const index = columnIndex(
        columns,
        fault,
        (c) => (c.type === 'integer' || c.type === 'number') && c.name !== 'id',
      );
      const bad = columns[index].type === 'integer' ? '12x' : '1.2.3';
      return { bytes: replaced(columns, values, index, Buffer.from(bad), format), outcome: 'transform' };
    }
    case 'bad-encoding': {
      const index = columnIndex(columns, fault, (c) => c.type === 'string');
      const text = String(values[index] ?? '');
      const bytes = Buffer.concat([Buffer.from(text), NOT_UTF8]);
      const written = replaced(columns, values, index, bytes, format);
      if (columns[index].type === 'string') {
        return { bytes: written, outcome: 'loads', column: columns[index].name, value: `${text}\uFFFD(` };
      }
      return { bytes: written, outcome: 'transform' };
    }
  }
}

function columnIndex(columns: DatasetColumn[], fault: MalformedRow, fits: (c: DatasetColumn) => boolean): number {
  const index = fault.column ? columns.findIndex((c) => c.name === fault.column) : columns.findIndex(fits);
  if (index === -1)
    throw new Error(`no column for a ${fault.kind} fault${fault.column ? ` named "${fault.column}"` : ''}`);
  return index;
}

/** The record with one value's bytes replaced verbatim (as a JSON string for JSON Lines). */
function replaced(
  columns: DatasetColumn[],
  values: Array<string | number | boolean | null>,
  index: number,
  bytes: Buffer,
  format: 'csv' | 'jsonl',
): Buffer {
  if (format === 'csv') {
    const cells: Buffer[] = values.map((v) => Buffer.from(csvCell(v)));
    cells[index] = bytes;
    return Buffer.concat(cells.flatMap((cell, i) => (i === 0 ? [cell] : [Buffer.from(','), cell])));
  }
  const marker = '\u0000value\u0000';
  const text = JSON.stringify(Object.fromEntries(columns.map((c, i) => [c.name, i === index ? marker : values[i]])));
  const [before, after] = text.split(JSON.stringify(marker));
  return Buffer.concat([Buffer.from(`${before}"`), bytes, Buffer.from(`"${after}`)]);
}
