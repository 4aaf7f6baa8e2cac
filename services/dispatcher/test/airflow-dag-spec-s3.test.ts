import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startTestS3, TEST_S3_ACCESS_KEY, type TestS3 } from '@aoe/testing';
import { PipelinePlan } from '@aoe/contracts';
import { renderDagSpec, S3DagSpecStore } from '../src/airflow';

/** The S3-prefix DAG-spec store against a real S3-compatible server (s3rver) on 127.0.0.1. */

const BUCKET = 'aoe-dag-specs';
const KEY = TEST_S3_ACCESS_KEY;

let s3: TestS3;
let endpoint: string;
let client: S3Client;

beforeAll(async () => {
  s3 = await startTestS3([BUCKET]);
  ({ endpoint, client } = s3);
  process.env.AOE_TEST_S3_DAG_KEY = KEY;
});

afterAll(() => s3.stop());

function plan(pipelineId: string): PipelinePlan {
  return PipelinePlan.parse({
    pipelineId,
    sourceId: 'src',
    version: 1,
    target: { kind: 'warehouse', table: { name: 't' } },
    tasks: [{ id: 'load', kind: 'load', params: { mode: 'append' } }],
    settings: { batchSize: 10, readParallelism: 1, loadConcurrency: 1 },
    createdBy: 'rules',
    createdAt: '2025-01-01T00:00:00Z',
  });
}

describe('S3DagSpecStore', () => {
  it('puts, gets, lists and removes specs under a prefix', async () => {
    const store = new S3DagSpecStore({
      bucket: BUCKET,
      prefix: 'airflow/specs',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: { env: 'AOE_TEST_S3_DAG_KEY' }, secretAccessKey: { env: 'AOE_TEST_S3_DAG_KEY' } },
    });
    expect(await store.list()).toEqual([]);
    const spec = renderDagSpec(plan('orders'));
    expect(await store.put(spec)).toBe(`s3://${BUCKET}/airflow/specs/aoe__orders.json`);
    expect(await store.get('aoe__orders')).toEqual(spec);
    expect(await store.get('aoe__none')).toBeUndefined();
    await store.put(renderDagSpec(plan('customers')));
    // Neither hidden objects, other suffixes nor deeper "folders" are specs.
    for (const key of ['airflow/specs/.aoe__x.json', 'airflow/specs/readme.txt', 'airflow/specs/old/aoe__y.json']) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '{}' }));
    }
    expect(await store.list()).toEqual(['aoe__customers', 'aoe__orders']);
    expect(await store.remove('aoe__orders')).toBe(true);
    expect(await store.remove('aoe__orders')).toBe(false);
    expect(await store.list()).toEqual(['aoe__customers']);
    await expect(store.get('../x')).rejects.toThrow('not a valid DAG id');
  });

  it('reports S3 failures as classified connector errors', async () => {
    // An injected client; s3rver cannot page listings (its continuation tokens need a cipher OpenSSL 3 refuses).
    const store = new S3DagSpecStore({ bucket: 'no-such-bucket', prefix: 'p/' }, client);
    await expect(store.list()).rejects.toMatchObject({
      name: 'ConnectorError',
      message: expect.stringContaining('listing s3://no-such-bucket/p/'),
    });
    await expect(store.put(renderDagSpec(plan('x')))).rejects.toMatchObject({ name: 'ConnectorError' });
    await expect(store.get('aoe__x')).rejects.toMatchObject({ name: 'ConnectorError' });
    await expect(store.remove('aoe__x')).rejects.toMatchObject({ name: 'ConnectorError' });
  });
});
