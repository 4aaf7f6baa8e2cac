import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import { TargetSpec } from '@aoe/contracts';
import type { Batch, CheckResult, SinkConnector, WriteOptions, WriteResult } from '../connector';
import { ConnectorError } from '../connector-error';
import type { PartSinkOptions } from '../file/directory.sink';
import { isObsoletePart, partName, safeRunId } from '../formats/part-files';
import { assertFileLoadMode, writeParts, type PartTarget } from '../formats/part-writer';
import { makeTempDir } from '../formats/stream-utils';
import { copySource, createS3Client, folderPrefix, s3Sdk, s3Uploads, toS3Error } from './s3-client';

export type S3TargetSpec = Extract<z.output<typeof TargetSpec>, { kind: 's3' }>;
export type S3TargetInput = Extract<z.input<typeof TargetSpec>, { kind: 's3' }>;

export interface S3SinkOptions extends PartSinkOptions {
  client?: S3Client;
  /** Multipart upload part size in bytes (default and minimum 5 MiB); memory per upload is about twice this. */
  uploadPartSize?: number;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;

/**
 * Writes CSV, JSON Lines or Parquet objects under a prefix (a folder: `out`
 * means `out/`). Each part is uploaded to `<prefix>_tmp/<runId>/…`, and only
 * once every part is uploaded is each copied to `<prefix>part-<runId>-<n>.<ext>`
 * and the temporary objects deleted. Re-running a run replaces that run's
 * parts; `replace` deletes the other runs' parts after the copy. CSV and JSON
 * Lines stream straight into a multipart upload; Parquet is written to a local
 * temporary file first, then uploaded. `merge` is refused.
 */
export class S3Sink implements SinkConnector {
  readonly kind = 's3';
  readonly spec: S3TargetSpec;
  private clientPromise: Promise<S3Client> | undefined;

  constructor(
    spec: S3TargetInput,
    private readonly options: S3SinkOptions = {},
  ) {
    const parsed = TargetSpec.parse(spec);
    if (parsed.kind !== 's3') throw new ConnectorError('bug', `an S3Sink needs an s3 target, not ${parsed.kind}`);
    this.spec = parsed;
    if (options.client) this.clientPromise = Promise.resolve(options.client);
  }

  private client(): Promise<S3Client> {
    this.clientPromise ??= createS3Client(this.spec);
    return this.clientPromise;
  }

  private get prefix(): string {
    return folderPrefix(this.spec.prefix);
  }

  private get location(): string {
    return `s3://${this.spec.bucket}/${this.prefix}`;
  }

  async check(): Promise<CheckResult> {
    try {
      const client = await this.client();
      await client.send(new (s3Sdk().HeadBucketCommand)({ Bucket: this.spec.bucket }));
      return { ok: true };
    } catch (error) {
      const failure = toS3Error(error, `cannot reach bucket ${this.spec.bucket}`);
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      return { ok: false, message: status === 404 ? `bucket ${this.spec.bucket} does not exist` : failure.message };
    }
  }

  async write(batches: AsyncIterable<Batch>, options: WriteOptions): Promise<WriteResult> {
    assertFileLoadMode(options.mode, this.location);
    const client = await this.client();
    const format = this.spec.format;
    const tmpPrefix = `${this.prefix}_tmp/${safeRunId(options.runId)}/`;
    const tmpKey = (index: number): string => `${tmpPrefix}${partName(options.runId, index, format)}`;
    await this.deleteUnder(client, tmpPrefix).catch((error: unknown) => {
      throw toS3Error(error, `cannot clear s3://${this.spec.bucket}/${tmpPrefix}`);
    });

    let written;
    try {
      written = await writeParts(
        batches,
        options,
        { format, maxRowsPerPart: this.options.maxRowsPerPart ?? 1_000_000, rowGroupSize: this.options.rowGroupSize },
        (index) =>
          format === 'parquet' ? this.viaTempFile(client, tmpKey(index)) : this.streamed(client, tmpKey(index)),
      );
    } catch (error) {
      await this.deleteUnder(client, tmpPrefix).catch(() => undefined);
      throw error instanceof ConnectorError ? error : toS3Error(error, `cannot write to ${this.location}`);
    }

    try {
      for (let index = 0; index < written.parts; index++) {
        await client.send(
          new (s3Sdk().CopyObjectCommand)({
            Bucket: this.spec.bucket,
            Key: `${this.prefix}${partName(options.runId, index, format)}`,
            CopySource: copySource(this.spec.bucket, tmpKey(index)),
          }),
          { abortSignal: options.signal },
        );
      }
      await this.deleteUnder(client, tmpPrefix);
      const commit = { runId: options.runId, parts: written.parts, format, replace: options.mode === 'replace' };
      const obsolete = (await this.listKeys(client, this.prefix, '/')).filter((key) =>
        isObsoletePart(key.slice(this.prefix.length), commit),
      );
      await this.deleteKeys(client, obsolete);
    } catch (error) {
      throw toS3Error(error, `cannot commit the parts in ${this.location}`);
    }
    return { rowsWritten: written.rows, bytesWritten: written.bytes, location: this.location };
  }

  /** CSV / JSON Lines: the encoder's output goes straight into a multipart upload. */
  private async streamed(client: S3Client, key: string): Promise<PartTarget> {
    const body = new PassThrough();
    const upload = new (s3Uploads().Upload)({
      client,
      params: { Bucket: this.spec.bucket, Key: key, Body: body },
      partSize: Math.max(MIN_PART_SIZE, this.options.uploadPartSize ?? MIN_PART_SIZE),
      queueSize: 1,
    });
    const done = upload.done();
    // A failed upload must fail the writer, not leave it waiting for 'drain'.
    done.catch((error: unknown) => body.destroy(error instanceof Error ? error : new Error(String(error))));
    return {
      out: body,
      done: async () => {
        await done;
      },
      abort: async () => {
        body.destroy();
        await upload.abort().catch(() => undefined);
        await done.catch(() => undefined);
      },
    };
  }

  /** Parquet: written to a local temporary file (the writer needs no backpressure there), then uploaded. */
  private async viaTempFile(client: S3Client, key: string): Promise<PartTarget> {
    const dir = await makeTempDir('s3-part');
    const path = join(dir.path, 'part.parquet');
    const out = createWriteStream(path);
    return {
      out,
      done: async () => {
        try {
          await finished(out);
          const upload = new (s3Uploads().Upload)({
            client,
            params: { Bucket: this.spec.bucket, Key: key, Body: createReadStream(path) },
            partSize: Math.max(MIN_PART_SIZE, this.options.uploadPartSize ?? MIN_PART_SIZE),
            queueSize: 1,
          });
          await upload.done();
        } finally {
          await dir.dispose();
        }
      },
      abort: async () => {
        out.destroy();
        await dir.dispose();
      },
    };
  }

  private async listKeys(client: S3Client, prefix: string, delimiter?: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new (s3Sdk().ListObjectsV2Command)({
          Bucket: this.spec.bucket,
          Prefix: prefix,
          Delimiter: delimiter,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  private async deleteUnder(client: S3Client, prefix: string): Promise<void> {
    await this.deleteKeys(client, await this.listKeys(client, prefix));
  }

  private async deleteKeys(client: S3Client, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      const result = await client.send(
        new (s3Sdk().DeleteObjectsCommand)({
          Bucket: this.spec.bucket,
          Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      if (result.Errors && result.Errors.length > 0) {
        const first = result.Errors[0];
        throw new ConnectorError(
          'unknown',
          `cannot delete ${first.Key ?? '?'}: ${first.Code ?? ''} ${first.Message ?? ''}`.trim(),
        );
      }
    }
  }
}
