import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import picomatch from 'picomatch';
import type { z } from 'zod';
import { S3Source as S3SourceSchema } from '@aoe/contracts';
import type { Batch, CheckResult, ReadOptions, SourceConnector, StreamSchema } from '../connector';
import { ConnectorError } from '../connector-error';
import type { ListedObject } from '../formats/object-cursor';
import { readObjects, sampleObject } from '../formats/object-reader';
import type { ObjectReadSpec, SourceObject } from '../formats/record-stream';
import { createS3Client, s3Sdk, toS3Error } from './s3-client';

export type S3SourceSpec = z.output<typeof S3SourceSchema>;
export type S3SourceInput = z.input<typeof S3SourceSchema>;

export interface S3SourceOptions {
  /** A client to use instead of one built from the spec (tests, shared pools). */
  client?: S3Client;
  /** Rows `discover()` samples to infer column types (default 1000). */
  sampleRows?: number;
}

export interface ListedS3Object extends ListedObject {
  size: number;
}

/** Keys a read skips: folder markers and a sink's uncommitted `_tmp/` objects. */
const SKIPPED = /(^|\/)_tmp\/|\/$/;

/**
 * CSV, JSON Lines and Parquet objects (optionally gzip-compressed) under a
 * prefix, optionally filtered by a glob matched against the key after the
 * prefix (`2024/**\/*.csv.gz`). A full read goes in key order; with a cursor,
 * only objects newer than it (or as new but not yet loaded), oldest first.
 * Positions are `s3://bucket/key:<line>` (`:<row>` for Parquet). Parquet
 * objects are streamed to a temporary file first (Parquet needs random access).
 */
export class S3Source implements SourceConnector {
  readonly kind = 's3';
  readonly spec: S3SourceSpec;
  private clientPromise: Promise<S3Client> | undefined;
  private readonly sampleRows: number;
  private readonly matches: (relativeKey: string) => boolean;

  constructor(spec: S3SourceInput, options: S3SourceOptions = {}) {
    this.spec = S3SourceSchema.parse(spec);
    if (options.client) this.clientPromise = Promise.resolve(options.client);
    this.sampleRows = options.sampleRows ?? 1000;
    const glob = this.spec.glob;
    this.matches = glob ? picomatch(glob) : () => true;
  }

  private client(): Promise<S3Client> {
    this.clientPromise ??= createS3Client(this.spec);
    return this.clientPromise;
  }

  private get where(): string {
    return `s3://${this.spec.bucket}/${this.spec.prefix}${this.spec.glob ? ` (glob ${this.spec.glob})` : ''}`;
  }

  async check(): Promise<CheckResult> {
    try {
      const objects = await this.list();
      if (objects.length === 0) return { ok: false, message: `no object under ${this.where}` };
      return { ok: true };
    } catch (error) {
      return { ok: false, message: toS3Error(error, `cannot list ${this.where}`).message };
    }
  }

  async discover(): Promise<StreamSchema[]> {
    const objects = await this.objects();
    const sampled = await sampleObject(this.toSource(objects[0]), this.readSpec(), this.sampleRows);
    return [{ name: `s3://${this.spec.bucket}/${this.spec.prefix}`, columns: sampled.columns }];
  }

  async *read(options: ReadOptions): AsyncGenerator<Batch> {
    const objects = await this.objects(options.signal);
    yield* readObjects(objects, (object) => this.toSource(object, options.signal), this.readSpec(), options);
  }

  /** Every object under the prefix that the glob matches, in key order. */
  async list(signal?: AbortSignal): Promise<ListedS3Object[]> {
    const client = await this.client();
    const out: ListedS3Object[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new (s3Sdk().ListObjectsV2Command)({
          Bucket: this.spec.bucket,
          Prefix: this.spec.prefix,
          ContinuationToken: token,
        }),
        { abortSignal: signal },
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key || !object.LastModified) continue;
        const relative = object.Key.slice(this.spec.prefix.length);
        if (SKIPPED.test(relative) || !this.matches(relative)) continue;
        out.push({ key: object.Key, lastModified: object.LastModified, size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  private async objects(signal?: AbortSignal): Promise<ListedS3Object[]> {
    let objects: ListedS3Object[];
    try {
      objects = await this.list(signal);
    } catch (error) {
      throw toS3Error(error, `cannot list ${this.where}`);
    }
    if (objects.length === 0) throw new ConnectorError('unknown', `no object under ${this.where}`);
    return objects;
  }

  private toSource(object: ListedS3Object, signal?: AbortSignal): SourceObject {
    const name = `s3://${this.spec.bucket}/${object.key}`;
    return {
      name,
      open: async () => {
        const client = await this.client();
        try {
          const response = await client.send(
            new (s3Sdk().GetObjectCommand)({ Bucket: this.spec.bucket, Key: object.key }),
            {
              abortSignal: signal,
            },
          );
          const body = response.Body;
          if (body instanceof Readable) return body;
          throw new ConnectorError('bug', `${name}: the S3 client returned a body that is not a Node stream`);
        } catch (error) {
          throw toS3Error(error, `cannot get ${name}`);
        }
      },
    };
  }

  private readSpec(): ObjectReadSpec {
    return { format: this.spec.format, compression: this.spec.compression, csv: this.spec.csv };
  }
}
