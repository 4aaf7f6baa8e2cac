import { SourceRegistration, SourceSpec } from './source-spec';

const messages = (input: unknown) => {
  const parsed = SourceSpec.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('SourceSpec', () => {
  it('accepts every source kind with credentials as references', () => {
    expect(
      messages({
        kind: 'postgres',
        connection: { url: 'postgres://etl@db:5432/shop', password: { env: 'PGPASS' } },
        table: { name: 'orders' },
      }),
    ).toEqual([]);
    expect(
      messages({
        kind: 's3',
        bucket: 'lake',
        prefix: 'raw/',
        credentials: { accessKeyId: { env: 'K' }, secretAccessKey: { file: '/run/s' } },
      }),
    ).toEqual([]);
    expect(
      messages({
        kind: 'http-api',
        url: 'https://api.example.com/v1/items',
        auth: { type: 'bearer', token: { env: 'TOKEN' } },
      }),
    ).toEqual([]);
    expect(messages({ kind: 'file', path: 'data/*.csv' })).toEqual([]);
  });

  it('refuses inline credentials wherever they hide', () => {
    expect(messages({ kind: 'postgres', connection: { host: 'db', password: 'pw' }, table: { name: 't' } })).toEqual([
      'connection.password: credentials must be a reference ({ "env": "NAME" } or { "file": "/path" }), never inline',
    ]);
    expect(
      messages({ kind: 'postgres', connection: { url: 'postgres://u:pw@db/x' }, table: { name: 't' } })[0],
    ).toMatch(/embeds a password/);
    expect(
      messages({
        kind: 'http-api',
        url: 'https://api.example.com',
        auth: { type: 'api-key', header: 'X-Key', value: 'abc' },
      })[0],
    ).toMatch(/must be a reference/);
    expect(
      messages({ kind: 'http-api', url: 'https://api.example.com', headers: { Authorization: 'Bearer abc' } })[0],
    ).toMatch(/carries a credential/);
    expect(messages({ kind: 'http-api', url: 'https://u:p@api.example.com' })[0]).toMatch(/embeds a password/);
  });

  it('refuses unknown fields and ambiguous postgres sources', () => {
    expect(messages({ kind: 'file', path: 'a.csv', extra: 1 })[0]).toMatch(/Unrecognized key/);
    expect(messages({ kind: 'postgres', connection: { host: 'db' }, table: { name: 't' }, query: 'select 1' })).toEqual(
      [': give exactly one of table or query'],
    );
    expect(messages({ kind: 'postgres', connection: {}, query: 'select 1' })).toEqual([
      'connection: give a url or a host',
    ]);
  });

  it('fills defaults a producer may leave out', () => {
    expect(SourceRegistration.parse({ spec: { kind: 'file', path: 'a.csv' } }).spec).toEqual({
      kind: 'file',
      path: 'a.csv',
      format: 'auto',
      compression: 'auto',
    });
  });
});
