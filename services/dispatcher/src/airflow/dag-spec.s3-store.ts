import type { S3Client } from '@aws-sdk/client-s3';
import { classifyS3Error, ConnectorError, createS3Client, s3Sdk, type S3Endpoint } from '@aoe/connectors';
import { DagSpec } from './dag-spec';
import type { DagSpecStore } from './dag-spec.store';

export interface S3DagSpecLocation extends S3Endpoint {
  bucket: string;
  /** Folder-like prefix; `dags/specs` and `dags/specs/` both mean `dags/specs/<dag_id>.json`. */
  prefix?: string;
}

const SUFFIX = '.json';
const DAG_ID = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,249}$/;

/**
 * DAG specs as `s3://<bucket>/<prefix><dag_id>.json`. A PUT replaces an object
 * atomically (readers see the old or the new spec, never a part), so no temporary
 * key is needed. Airflow reads a folder: sync the prefix into the DAG-spec folder
 * (docs/airflow.md). Errors are ConnectorErrors classified like every S3 error.
 */
export class S3DagSpecStore implements DagSpecStore {
  private client: Promise<S3Client> | undefined;
  private readonly prefix: string;

  constructor(
    private readonly location: S3DagSpecLocation,
    client?: S3Client,
  ) {
    const prefix = location.prefix ?? '';
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (client) this.client = Promise.resolve(client);
  }

  async put(spec: DagSpec): Promise<string> {
    const valid = DagSpec.parse(spec);
    const key = this.keyOf(valid.dag_id);
    await this.attempt(`writing s3://${this.location.bucket}/${key}`, (s3) =>
      s3.send(
        new (s3Sdk().PutObjectCommand)({
          Bucket: this.location.bucket,
          Key: key,
          Body: `${JSON.stringify(valid, null, 2)}\n`,
          ContentType: 'application/json',
        }),
      ),
    );
    return `s3://${this.location.bucket}/${key}`;
  }

  async get(dagId: string): Promise<DagSpec | undefined> {
    const key = this.keyOf(dagId);
    try {
      const object = await (
        await this.s3()
      ).send(new (s3Sdk().GetObjectCommand)({ Bucket: this.location.bucket, Key: key }));
      const text = (await object.Body?.transformToString('utf8')) ?? '';
      return DagSpec.parse(JSON.parse(text));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw wrap(error, `reading s3://${this.location.bucket}/${key}`);
    }
  }

  async list(): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.attempt(`listing s3://${this.location.bucket}/${this.prefix}`, (s3) =>
        s3.send(
          new (s3Sdk().ListObjectsV2Command)({
            Bucket: this.location.bucket,
            Prefix: this.prefix,
            Delimiter: '/',
            ContinuationToken: token,
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        const name = (object.Key ?? '').slice(this.prefix.length);
        if (name.endsWith(SUFFIX) && !name.startsWith('.')) ids.push(name.slice(0, -SUFFIX.length));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return ids.sort();
  }

  async remove(dagId: string): Promise<boolean> {
    // S3 deletes a missing key without complaint; ask first so the answer says whether there was a spec.
    if ((await this.get(dagId)) === undefined) return false;
    const key = this.keyOf(dagId);
    await this.attempt(`deleting s3://${this.location.bucket}/${key}`, (s3) =>
      s3.send(new (s3Sdk().DeleteObjectCommand)({ Bucket: this.location.bucket, Key: key })),
    );
    return true;
  }

  private keyOf(dagId: string): string {
    if (!DAG_ID.test(dagId)) throw new Error(`not a valid DAG id: ${JSON.stringify(dagId)}`);
    return `${this.prefix}${dagId}${SUFFIX}`;
  }

  private s3(): Promise<S3Client> {
    this.client ??= createS3Client(this.location);
    return this.client;
  }

  private async attempt<T>(doing: string, action: (s3: S3Client) => Promise<T>): Promise<T> {
    try {
      return await action(await this.s3());
    } catch (error) {
      throw wrap(error, doing);
    }
  }
}

/** The key is missing (a missing bucket is an error, not an absent spec). */
function isMissing(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'NoSuchKey';
}

function wrap(error: unknown, doing: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  return new ConnectorError(classifyS3Error(error), `${doing}: ${message || name}`, { cause: error });
}
