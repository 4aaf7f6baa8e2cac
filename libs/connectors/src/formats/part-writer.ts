import { pipeline, type Writable } from 'node:stream';
import type { Batch, ColumnSchema, Row, WriteOptions } from '../connector';
import { ConnectorError } from '../connector-error';
import { createEncoder, type RecordEncoder } from './record-encoder';
import type { RecordFormat } from './record-stream';
import { ByteCounter } from './stream-utils';
import { inferColumns } from './type-inference';

/** Where one part goes: a temporary file, or a temporary object being uploaded. */
export interface PartTarget {
  out: Writable;
  /** Resolves once the part is durable where it was written (file flushed, upload complete). */
  done(): Promise<void>;
  /** Gives up on the part and removes what was written. */
  abort(): Promise<void>;
}

export interface PartWriterOptions {
  format: RecordFormat;
  /** A new part is started once this many rows are in the current one. */
  maxRowsPerPart: number;
  rowGroupSize?: number;
}

export interface PartsWritten {
  parts: number;
  rows: number;
  bytes: number;
}

/**
 * Streams batches into parts `0, 1, …` opened by `open`. A part rolls over at
 * `maxRowsPerPart` rows, and when rows bring columns the schema does not have:
 * those columns are added (typed from the batch) and the next part carries
 * them, so a CSV or Parquet part always has one header / one schema.
 */
export async function writeParts(
  batches: AsyncIterable<Batch>,
  write: Pick<WriteOptions, 'schema' | 'signal'>,
  options: PartWriterOptions,
  open: (index: number) => Promise<PartTarget>,
): Promise<PartsWritten> {
  let columns: ColumnSchema[] = [...write.schema.columns];
  let known = new Set(columns.map((c) => c.name));
  let current: { encoder: RecordEncoder; target: PartTarget; counter: ByteCounter; rows: number } | undefined;
  let parts = 0;
  let rows = 0;
  let bytes = 0;

  const finishPart = async (): Promise<void> => {
    if (!current) return;
    const part = current;
    current = undefined;
    await part.encoder.close();
    await part.target.done();
    bytes += part.counter.total;
  };

  try {
    for await (const batch of batches) {
      write.signal?.throwIfAborted();
      if (batch.rows.length === 0) continue;
      const added = newColumns(batch.rows, known);
      if (added.length > 0) {
        await finishPart();
        columns = [...columns, ...added];
        known = new Set(columns.map((c) => c.name));
      }
      if (current && current.rows >= options.maxRowsPerPart) await finishPart();
      if (!current) {
        const target = await open(parts);
        parts += 1;
        const counter = new ByteCounter();
        pipeline(counter, target.out, () => undefined);
        current = {
          target,
          counter,
          rows: 0,
          encoder: await createEncoder(options.format, columns, counter, { rowGroupSize: options.rowGroupSize }),
        };
      }
      await current.encoder.write(batch.rows);
      current.rows += batch.rows.length;
      rows += batch.rows.length;
    }
    await finishPart();
  } catch (error) {
    if (current) {
      current.counter.destroy();
      await current.target.abort();
    }
    throw error;
  }
  return { parts, rows, bytes };
}

/** Columns some row has and the schema does not, typed from this batch. */
function newColumns(rows: readonly Row[], known: Set<string>): ColumnSchema[] {
  let unknown: Set<string> | undefined;
  for (const row of rows) {
    for (const key in row) {
      if (!known.has(key)) (unknown ??= new Set()).add(key);
    }
  }
  if (!unknown) return [];
  const names = unknown;
  const sample = rows.map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => names.has(key))));
  const inferred = inferColumns(sample);
  return [...names].map((name) => inferred.find((c) => c.name === name) ?? { name, type: 'string', nullable: true });
}

/** Write semantics a file or object target can honour. */
export function assertFileLoadMode(mode: WriteOptions['mode'], target: string): void {
  if (mode === 'merge') {
    throw new ConnectorError(
      'bug',
      `${target} cannot merge (upsert on a key): files and objects support append and replace; load into PostgreSQL to merge`,
    );
  }
}
