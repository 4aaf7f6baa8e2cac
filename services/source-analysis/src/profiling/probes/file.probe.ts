import { open } from 'node:fs/promises';
import type { FileSource as FileSourceSpec } from '@aoe/contracts';
import {
  classifyStreamError,
  ConnectorError,
  FileSource,
  listFiles,
  parquetjs,
  type ListedFile,
} from '@aoe/connectors';
import type { z } from 'zod';
import { HEAD_BYTES, inspectHead } from '../head-inspection';
import { rowTextBytes, tailBytesPerLine, uncompressedSize } from '../row-size';
import type { ProbeContext, ProbeResult } from './source-probe';

export type FileSpec = z.output<typeof FileSourceSpec>;

async function readAt(path: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function readHead(path: string): Promise<{ head: Buffer; complete: boolean }> {
  const head = await readAt(path, 0, HEAD_BYTES);
  return { head, complete: head.length < HEAD_BYTES };
}

/** Rows and columns from Parquet footers: no row data is read. */
async function parquetFacts(files: readonly ListedFile[]): Promise<number> {
  let rows = 0;
  for (const file of files) {
    const reader = await parquetjs().ParquetReader.openFile(file.path);
    try {
      rows += Number(reader.getRowCount().valueOf());
    } finally {
      await reader.close();
    }
  }
  return rows;
}

/**
 * Local files: sizes from the listing, format, compression, encoding and
 * delimiter from the first file's first 64 KiB, the declared schema and exact
 * row count of Parquet files from their footers.
 */
export async function probeFile(spec: FileSpec, context: ProbeContext & { cwd?: string }): Promise<ProbeResult> {
  const { files, base } = await listFiles(spec.path, context.cwd).catch((error: unknown) => {
    throw new ConnectorError('unknown', `cannot list "${spec.path}": ${(error as Error).message}`, { cause: error });
  });
  if (files.length === 0)
    throw new ConnectorError('schema-drift', `no file matches "${spec.path}" (looked in ${base})`);
  const first = files[0];
  const { head, complete } = await readHead(first.path).catch((error: unknown) => {
    const code = (error as { code?: unknown }).code;
    const errorClass = code === 'EACCES' || code === 'EPERM' ? 'auth' : classifyStreamError(error);
    throw new ConnectorError(errorClass, `cannot read ${first.path}: ${(error as Error).message}`, { cause: error });
  });
  const facts = inspectHead(first.key, head, complete && files.length === 1, spec);
  const csv =
    facts.format === 'csv'
      ? { ...spec.csv, header: spec.csv?.header ?? true, delimiter: facts.delimiter, encoding: facts.encoding }
      : spec.csv;
  const sizeBytes = files.reduce((sum, file) => sum + file.size, 0);
  const sampler = new FileSource(
    { ...spec, format: facts.format, compression: facts.compression, csv },
    { cwd: context.cwd },
  );
  const result: ProbeResult = {
    sampler,
    format: facts.format,
    compression: facts.compression,
    encoding: facts.encoding,
    delimiter: facts.delimiter,
    sizeBytes,
    sizeForEstimate: { bytes: uncompressedSize(sizeBytes, facts), overheadPerRow: 0, rowBytes: rowTextBytes(facts) },
    textValues: facts.format === 'csv',
    spreadSample: false,
    close: async () => undefined,
  };
  const last = files[files.length - 1];
  if (facts.format !== 'parquet' && facts.compression === 'none' && last.size > 4 * HEAD_BYTES) {
    const tail = await readAt(last.path, last.size - HEAD_BYTES, HEAD_BYTES).catch(() => undefined);
    const perLine = tail ? tailBytesPerLine(tail) : undefined;
    if (perLine && result.sizeForEstimate) result.sizeForEstimate.tailBytesPerRow = perLine;
  }
  if (facts.format === 'parquet' && facts.compression === 'none') {
    const [schema] = await sampler.discover();
    result.declared = schema?.columns;
    result.rowCount = { value: await parquetFacts(files), from: 'Parquet footers' };
  }
  return result;
}
