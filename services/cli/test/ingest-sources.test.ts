import { join } from 'node:path';
import { testDatabaseUrl, uniqueName } from '@aoe/testing';
import { Client } from 'pg';
import {
  aoe,
  checksum,
  checksumSql,
  csvOf,
  events,
  jsonlOf,
  parseJsonLine,
  startApi,
  startS3,
  tempDir,
  writeParquet,
  writeText,
} from './support';

jest.setTimeout(180_000);

/**
 * `aoe ingest` end to end, in this process: every source kind (CSV, JSON Lines
 * and Parquet files, S3 through s3rver, PostgreSQL, an HTTP JSON API) into
 * PostgreSQL and into the embedded warehouse, checked by count and checksum.
 */
describe('aoe ingest: every source kind into PostgreSQL and into the warehouse', () => {
  const data = events(1_500);
  const expected = { count: 1_500, md5: checksum(data) };
  let home: string;
  let dir: string;
  let databaseUrl: string;
  let pg: Client;
  const schema = uniqueName('cli_sources');
  let s3: Awaited<ReturnType<typeof startS3>>;
  let api: Awaited<ReturnType<typeof startApi>>;
  const sources: Record<string, string> = {};

  beforeAll(async () => {
    home = await tempDir('home');
    dir = await tempDir('data');
    databaseUrl = await testDatabaseUrl();
    pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    await pg.query(`CREATE SCHEMA "${schema}"`);
    await pg.query(
      `CREATE TABLE "${schema}".events_pg (id integer PRIMARY KEY, name text NOT NULL, amount integer NOT NULL, created_at timestamptz NOT NULL)`,
    );
    await pg.query(
      `INSERT INTO "${schema}".events_pg SELECT * FROM json_populate_recordset(NULL::"${schema}".events_pg, $1::json)`,
      [JSON.stringify(data)],
    );

    s3 = await startS3('lake');
    await s3.put('events_s3/part-1.csv', csvOf(data.slice(0, 700)));
    await s3.put('events_s3/part-2.csv', csvOf(data.slice(700)));
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AOE_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    });
    api = await startApi('/api/events_http', () => data);

    sources.csv = await writeText(join(dir, 'events_csv.csv'), csvOf(data));
    sources.jsonl = await writeText(join(dir, 'events_jsonl.jsonl'), jsonlOf(data));
    sources.parquet = join(dir, 'events_parquet.parquet');
    await writeParquet(sources.parquet, data);
    sources.s3 = 's3://lake/events_s3/';
    sources.postgres = `${databaseUrl.replace(/\/[^/]*$/, '')}/${new URL(databaseUrl).pathname.slice(1)}#${schema}.events_pg`;
    sources.http = api.url;
  });

  afterAll(async () => {
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pg.end();
    await s3.stop();
    await api.stop();
    for (const key of ['AWS_ENDPOINT_URL_S3', 'AOE_S3_FORCE_PATH_STYLE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])
      delete process.env[key];
  });

  const warehouseTable: Record<string, string> = {
    csv: 'events_csv',
    jsonl: 'events_jsonl',
    parquet: 'events_parquet',
    s3: 'events_s3',
    postgres: 'events_pg',
    http: 'events_http',
  };

  it.each(Object.keys(warehouseTable))('%s into PostgreSQL', async (kind) => {
    const target = `${databaseUrl}#${schema}.${kind}_copy`;
    const result = await aoe(['ingest', sources[kind], '--into', target, '--json'], { AOE_HOME: home });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = parseJsonLine(result.stdout);
    expect(Object.keys(summary).sort()).toEqual([
      'durationMs',
      'rowsLoaded',
      'rowsQuarantined',
      'rowsRead',
      'runId',
      'status',
      'target',
    ]);
    expect(summary).toMatchObject({ status: 'succeeded', rowsRead: 1_500, rowsLoaded: 1_500, rowsQuarantined: 0 });
    expect(summary.target).toBe(`${databaseUrl}#${schema}.${kind}_copy`);
    expect((await pg.query(checksumSql(`"${schema}".${kind}_copy`))).rows[0]).toEqual(expected);
  });

  it.each(Object.keys(warehouseTable))('%s into the embedded warehouse', async (kind) => {
    const result = await aoe(['ingest', sources[kind], '--json'], { AOE_HOME: home });
    expect(result.code).toBe(0);
    expect(parseJsonLine(result.stdout)).toMatchObject({
      status: 'succeeded',
      rowsLoaded: 1_500,
      target: `warehouse:public.${warehouseTable[kind]}`,
    });
    const query = await aoe(['sql', checksumSql(warehouseTable[kind]), '--json'], { AOE_HOME: home });
    expect(query.code).toBe(0);
    expect(JSON.parse(query.stdout)).toEqual([expected]);
  });
});
