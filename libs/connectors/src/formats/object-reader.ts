import type { Batch, ColumnSchema, ReadOptions, Row } from '../connector';
import { BatchBuilder } from './decoded-record';
import { byLastModified, OBJECT_CURSOR_COLUMN, ObjectCursor, type ListedObject } from './object-cursor';
import { decodeObject, type ObjectReadSpec, type RecordFormat, type SourceObject } from './record-stream';
import { ByteCounter, ByteTally } from './stream-utils';
import { inferColumns } from './type-inference';

/**
 * Reads listed files or objects into batches: all of them in key order for a
 * full read; with `options.cursor`, only those newer than the cursor, oldest
 * first.
 *
 * In an incremental read a batch never spans two objects, and the batch that
 * ends an object carries the cursor including it (an empty batch for an empty
 * object): that is a safe point to commit data and cursor together. Batches
 * inside an object carry no cursor. A full read puts the cursor on its last
 * batch, so the next run can be incremental.
 */
export async function* readObjects<T extends ListedObject>(
  listed: readonly T[],
  toSource: (object: T) => SourceObject,
  spec: ObjectReadSpec,
  options: ReadOptions,
): AsyncGenerator<Batch> {
  const incremental = options.cursor !== undefined;
  const cursor = new ObjectCursor(
    options.cursor?.column ?? options.cursorColumn ?? OBJECT_CURSOR_COLUMN,
    options.cursor,
  );
  const selected = incremental ? listed.filter((o) => cursor.isNew(o)).sort(byLastModified) : listed;
  const builder = new BatchBuilder(Math.max(1, options.batchSize));
  const tally = new ByteTally();
  for (const object of selected) {
    options.signal?.throwIfAborted();
    const counter = tally.counter();
    for await (const records of decodeObject(toSource(object), spec, counter)) {
      for (const record of records) {
        // A full batch waits for the next record, so the last one of an object can carry the cursor.
        if (builder.full) {
          options.signal?.throwIfAborted();
          yield builder.take(tally.takeDelta());
        }
        builder.add(record);
      }
    }
    tally.release(counter);
    cursor.complete(object);
    if (incremental) yield builder.take(tally.takeDelta(), cursor.state());
  }
  if (!incremental && selected.length > 0) yield builder.take(tally.takeDelta(), cursor.state());
}

export interface SampledSchema {
  columns: ColumnSchema[];
  format?: RecordFormat;
  rows: Row[];
}

/**
 * Samples the first `sampleRows` rows of one object and infers its columns:
 * a Parquet file's declared schema when it has one, else types inferred from
 * the sample (CSV cells as text, JSON values as they are), in header order.
 */
export async function sampleObject(
  object: SourceObject,
  spec: ObjectReadSpec,
  sampleRows: number,
): Promise<SampledSchema> {
  let format: RecordFormat | undefined;
  let declared: ColumnSchema[] | undefined;
  let header: ColumnSchema[] | undefined;
  const rows: Row[] = [];
  const decoder = decodeObject(object, spec, new ByteCounter(), {
    format: (f) => (format = f),
    columns: (columns, isDeclared) => {
      if (isDeclared) declared = columns;
      else header ??= columns;
    },
  });
  outer: for await (const records of decoder) {
    for (const record of records) {
      if ('row' in record) rows.push(record.row);
      if (rows.length >= sampleRows) break outer;
    }
  }
  if (declared) return { columns: declared, format, rows };
  const inferred = inferColumns(rows, { stringsAreText: format !== 'csv' });
  if (!header) return { columns: inferred, format, rows };
  const byName = new Map(inferred.map((c) => [c.name, c]));
  return { columns: header.map((c) => byName.get(c.name) ?? c), format, rows };
}
