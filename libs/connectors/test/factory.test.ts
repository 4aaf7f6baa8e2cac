import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SourceSpec, TargetSpec } from '@aoe/contracts';
import { testDatabaseUrl } from '@aoe/testing';
import {
  ConnectorError,
  createSinkConnector,
  createSourceConnector,
  DirectorySink,
  FileSource,
  HttpApiSource,
  openSinkConnector,
  PostgresSink,
  PostgresSource,
  S3Sink,
  S3Source,
  Warehouse,
  WarehouseSink,
} from '../src';
import { collect, withTempDir } from './fixtures/support';

describe('createSourceConnector', () => {
  it('maps every source kind to its connector', () => {
    const cases: Array<[unknown, unknown, string]> = [
      [
        { kind: 'postgres', connection: { url: 'postgres://etl@db:5432/shop' }, table: { name: 'orders' } },
        PostgresSource,
        'postgres',
      ],
      [{ kind: 's3', bucket: 'raw-data', prefix: 'orders/' }, S3Source, 's3'],
      [{ kind: 'http-api', url: 'https://api.example.com/orders' }, HttpApiSource, 'http-api'],
      [{ kind: 'file', path: 'data/*.csv' }, FileSource, 'file'],
    ];
    for (const [spec, type, kind] of cases) {
      const connector = createSourceConnector(SourceSpec.parse(spec));
      expect(connector).toBeInstanceOf(type);
      expect(connector.kind).toBe(kind);
    }
  });

  it('resolves a relative file path against options.cwd and reads it', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'a.csv'), 'id,name\n1,x\n2,y\n');
      const source = createSourceConnector(SourceSpec.parse({ kind: 'file', path: 'a.csv' }), {
        cwd: dir,
        sampleRows: 5,
      });
      expect((await collect(source)).rows).toEqual([
        { id: '1', name: 'x' },
        { id: '2', name: 'y' },
      ]);
    });
  });

  it('gives a postgres source that reaches the server', async () => {
    const url = await testDatabaseUrl();
    const source = createSourceConnector(
      SourceSpec.parse({ kind: 'postgres', connection: { url }, query: 'SELECT 1 AS one' }),
    );
    const [schema] = await source.discover();
    expect(schema.columns).toEqual([{ name: 'one', type: 'integer', nullable: true, declaredType: 'integer' }]);
  });
});

describe('createSinkConnector', () => {
  it('maps postgres, s3 and directory targets to their sinks', () => {
    const postgres = createSinkConnector(
      TargetSpec.parse({ kind: 'postgres', connection: { url: 'postgres://etl@db/shop' }, table: { name: 'orders' } }),
    );
    expect(postgres).toBeInstanceOf(PostgresSink);
    expect(postgres.kind).toBe('postgres');
    const s3 = createSinkConnector(
      TargetSpec.parse({ kind: 's3', bucket: 'lake', prefix: 'orders/', format: 'jsonl' }),
    );
    expect(s3).toBeInstanceOf(S3Sink);
    const directory = createSinkConnector(TargetSpec.parse({ kind: 'directory', path: 'out' }), {
      cwd: '/tmp',
      parts: { maxRowsPerPart: 10 },
    });
    expect(directory).toBeInstanceOf(DirectorySink);
    expect(directory.kind).toBe('directory');
  });

  it('refuses a warehouse target without the opened warehouse, with a ConnectorError that says what to do', () => {
    const target = TargetSpec.parse({ kind: 'warehouse', table: { name: 'orders' } });
    let error: unknown;
    try {
      createSinkConnector(target);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).errorClass).toBe('bug');
    expect((error as Error).message).toMatch(/warehouse target is not supported without the embedded warehouse/);
  });

  it('loads into the embedded warehouse when it is given, or opened by openSinkConnector', async () => {
    const target = TargetSpec.parse({ kind: 'warehouse', table: { name: 'orders' } });
    const warehouse = await Warehouse.open('memory');
    try {
      const sink = createSinkConnector(target, { warehouse, warehouseSink: { rowsPerStatement: 10 } });
      expect(sink).toBeInstanceOf(WarehouseSink);
      expect(await sink.check()).toEqual({ ok: true });
    } finally {
      await warehouse.close();
    }
    await withTempDir(async (dir) => {
      const opened = await openSinkConnector(target, { warehouseDir: join(dir, 'wh') });
      expect(opened).toBeInstanceOf(WarehouseSink);
      await (opened as WarehouseSink).close();
      const directory = await openSinkConnector(TargetSpec.parse({ kind: 'directory', path: dir }));
      expect(directory).toBeInstanceOf(DirectorySink);
    });
  });
});
