import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Source as S3SourceSchema } from '@aoe/contracts';
import {
  ConnectorError,
  createS3Client,
  classifyS3Error,
  parquetColumns,
  parquetjs,
  S3Source,
  s3Sdk,
  type ColumnSchema,
  type ListedS3Object,
} from '@aoe/connectors';
import type { z } from 'zod';
import { HEAD_BYTES, inspectHead } from '../head-inspection';
import { rowTextBytes, tailBytesPerLine, uncompressedSize } from '../row-size';
import type { ProbeContext, ProbeResult } from './source-probe';

export type S3Spec = z.output<typeof S3SourceSchema>;

/** Parquet footers read at most (one ranged read or two each); past this the row count is estimated from sizes. */
const MAX_FOOTERS = 100;

function s3Error(error: unknown, doing: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const name = (error as { name?: string } | null)?.name;
  const errorClass = name === 'NoSuchBucket' || name === 'NoSuchKey' ? 'schema-drift' : classifyS3Error(error);
  return new ConnectorError(errorClass, `${doing}: ${name ?? 'Error'}: ${(error as Error).message}`, { cause: error });
}

async function readRange(
  client: S3Client,
  bucket: string,
  key: string,
  range: string,
  signal?: AbortSignal,
): Promise<Buffer> {
  const response = await client.send(new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key, Range: range }), {
    abortSignal: signal,
  });
  const body = response.Body;
  if (!(body instanceof Readable))
    throw new ConnectorError('bug', `s3://${bucket}/${key}: the body is not a Node stream`);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= HEAD_BYTES) break;
  }
  body.destroy();
  return Buffer.concat(chunks).subarray(0, HEAD_BYTES);
}

/** Row counts (and the first schema) from Parquet footers, read with ranged GETs. */
async function parquetFooters(
  client: S3Client,
  bucket: string,
  objects: readonly ListedS3Object[],
): Promise<{ rows: number; columns: ColumnSchema[] } | undefined> {
  let rows = 0;
  let columns: ColumnSchema[] = [];
  for (const object of objects) {
    const reader = await parquetjs().ParquetReader.openS3(client, { Bucket: bucket, Key: object.key });
    try {
      rows += Number(reader.getRowCount().valueOf());
      if (columns.length === 0)
        columns = parquetColumns(reader).map(({ name, type, nullable, declaredType }) => ({
          name,
          type,
          nullable,
          declaredType,
        }));
    } finally {
      await reader.close();
    }
  }
  return { rows, columns };
}

/**
 * Objects under a prefix: sizes from the listing; format, compression,
 * encoding and delimiter from a ranged GET of the first object's first 64 KiB;
 * for uncompressed Parquet, the schema and exact row count from the footers
 * (up to 100 objects).
 */
export async function probeS3(spec: S3Spec, context: ProbeContext & { client?: S3Client }): Promise<ProbeResult> {
  const client = context.client ?? (await createS3Client(spec));
  try {
    return await inspectObjects(spec, client, context);
  } catch (error) {
    if (!context.client) client.destroy();
    throw error;
  }
}

async function inspectObjects(
  spec: S3Spec,
  client: S3Client,
  context: ProbeContext & { client?: S3Client },
): Promise<ProbeResult> {
  const lister = new S3Source(spec, { client });
  const where = `s3://${spec.bucket}/${spec.prefix}`;
  const objects = await lister.list(context.signal).catch((error: unknown) => {
    throw s3Error(error, `cannot list ${where}`);
  });
  if (objects.length === 0)
    throw new ConnectorError('schema-drift', `no object under ${where}${spec.glob ? ` matches ${spec.glob}` : ''}`);
  const first = objects[0];
  const head = await readRange(client, spec.bucket, first.key, `bytes=0-${HEAD_BYTES - 1}`, context.signal).catch(
    (error: unknown) => {
      throw s3Error(error, `cannot get s3://${spec.bucket}/${first.key}`);
    },
  );
  const facts = inspectHead(first.key, head, head.length < HEAD_BYTES && objects.length === 1, spec);
  const csv =
    facts.format === 'csv'
      ? { ...spec.csv, header: spec.csv?.header ?? true, delimiter: facts.delimiter, encoding: facts.encoding }
      : spec.csv;
  const sizeBytes = objects.reduce((sum, object) => sum + object.size, 0);
  const result: ProbeResult = {
    sampler: new S3Source({ ...spec, format: facts.format, compression: facts.compression, csv }, { client }),
    format: facts.format,
    compression: facts.compression,
    encoding: facts.encoding,
    delimiter: facts.delimiter,
    sizeBytes,
    sizeForEstimate: { bytes: uncompressedSize(sizeBytes, facts), overheadPerRow: 0, rowBytes: rowTextBytes(facts) },
    textValues: facts.format === 'csv',
    spreadSample: false,
    close: async () => {
      if (!context.client) client.destroy();
    },
  };
  const last = objects[objects.length - 1];
  if (facts.format !== 'parquet' && facts.compression === 'none' && last.size > 4 * HEAD_BYTES) {
    const tail = await readRange(
      client,
      spec.bucket,
      last.key,
      `bytes=${last.size - HEAD_BYTES}-${last.size - 1}`,
      context.signal,
    ).catch(() => undefined);
    const perLine = tail ? tailBytesPerLine(tail) : undefined;
    if (perLine && result.sizeForEstimate) result.sizeForEstimate.tailBytesPerRow = perLine;
  }
  if (facts.format === 'parquet' && facts.compression === 'none' && objects.length <= MAX_FOOTERS) {
    const footers = await parquetFooters(client, spec.bucket, objects).catch(() => undefined);
    if (footers) {
      result.declared = footers.columns;
      result.rowCount = { value: footers.rows, from: 'Parquet footers' };
    }
  }
  return result;
}
