import { UriError, parseSourceUri, parseTargetUri, tableNameFor } from './uri';

describe('source URIs', () => {
  it('reads paths, globs, s3, postgres and http', () => {
    expect(parseSourceUri('examples/events.csv')).toMatchObject({ kind: 'file', path: 'examples/events.csv' });
    expect(parseSourceUri('data/*.jsonl.gz')).toMatchObject({ kind: 'file', path: 'data/*.jsonl.gz' });
    expect(
      parseSourceUri('s3://lake/raw/2026/', {
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000',
        AOE_S3_FORCE_PATH_STYLE: 'true',
      }),
    ).toMatchObject({
      kind: 's3',
      bucket: 'lake',
      prefix: 'raw/2026/',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
    });
    expect(parseSourceUri('s3://lake/raw/*.csv', {})).toMatchObject({
      bucket: 'lake',
      prefix: 'raw/',
      glob: 'raw/*.csv',
    });
    expect(parseSourceUri('postgres://etl@db:5432/shop#sales.orders', { PGPASSWORD: 'x' })).toEqual({
      kind: 'postgres',
      connection: { url: 'postgres://etl@db:5432/shop', password: { env: 'PGPASSWORD' } },
      table: { schema: 'sales', name: 'orders' },
    });
    expect(parseSourceUri('https://api.example.com/v1/items')).toMatchObject({
      kind: 'http-api',
      url: 'https://api.example.com/v1/items',
    });
  });

  it('refuses unknown schemes and inline passwords with one clear line', () => {
    expect(() => parseSourceUri('ftp://host/file.csv')).toThrow(
      new UriError('unknown URI scheme "ftp://" (use a path, s3://, postgres:// or http(s)://)'),
    );
    expect(() => parseSourceUri('postgres://etl:hunter2@db/shop#orders')).toThrow(/PGPASSWORD/);
    expect(() => parseSourceUri('postgres://etl:hunter2@db/shop#orders')).not.toThrow(/hunter2/);
    expect(() => parseSourceUri('s3:///nobucket')).toThrow(/names no bucket/);
  });
});

describe('target URIs', () => {
  const source = parseSourceUri('examples/Events 2026.csv');

  it('defaults to the embedded warehouse, named after the source', () => {
    expect(parseTargetUri(undefined, source)).toEqual({
      kind: 'warehouse',
      table: { schema: 'public', name: 'events_2026' },
    });
  });

  it('reads postgres, s3 and directories', () => {
    expect(parseTargetUri('postgres://etl@db/dw#raw.events', source, {})).toMatchObject({
      kind: 'postgres',
      table: { schema: 'raw', name: 'events' },
    });
    expect(parseTargetUri('postgres://etl@db/dw', source, {})).toMatchObject({
      table: { schema: 'public', name: 'events_2026' },
    });
    expect(parseTargetUri('s3://out/events/', source, {})).toMatchObject({
      kind: 's3',
      bucket: 'out',
      prefix: 'events/',
    });
    expect(parseTargetUri('./out', source)).toMatchObject({ kind: 'directory', path: './out', format: 'parquet' });
    expect(() => parseTargetUri('mysql://x/y', source)).toThrow(/unknown target scheme/);
  });

  it('derives safe table names', () => {
    expect(tableNameFor(parseSourceUri('data/2026-*.csv.gz'))).toBe('t_2026');
    expect(tableNameFor(parseSourceUri('https://api.example.com/'))).toBe('api_example_com');
    expect(tableNameFor(parseSourceUri('s3://bucket-only'))).toBe('bucket_only');
  });
});
