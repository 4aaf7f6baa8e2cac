import type { S3Client } from '@aws-sdk/client-s3';
import type { SourceSpec, TargetSpec } from '@aoe/contracts';
import type { SinkConnector, SourceConnector } from './connector';
import { ConnectorError } from './connector-error';
import { DirectorySink, FileSource, type PartSinkOptions } from './file';
import { HttpApiSource, type HttpApiSourceOptions } from './http';
import { PostgresSink, PostgresSource, type PgConnectionFactory, type PostgresSinkOptions } from './postgres';
import { S3Sink, S3Source, type S3SinkOptions } from './s3';
import { Warehouse, WarehouseSink, warehouseDirFor, type WarehouseSinkOptions } from './warehouse';

/** What a source's spec cannot say: where relative paths resolve, injected clients and sessions. */
export interface SourceConnectorOptions {
  /** Relative file paths and globs resolve here (default: the working directory). */
  cwd?: string;
  /** Rows `discover()` samples to infer column types (file and S3 sources; default 1000). */
  sampleRows?: number;
  /** An S3 client to use instead of one built from the spec. */
  s3Client?: S3Client;
  /** Retry bounds, page limit and injectable waits of HTTP sources. */
  http?: HttpApiSourceOptions;
  /** Where PostgreSQL sessions come from (default: one connection per session from the spec). */
  postgresConnectionFactory?: PgConnectionFactory;
}

/** What a target's spec cannot say. */
export interface SinkConnectorOptions {
  /** A relative directory target resolves here (default: the working directory). */
  cwd?: string;
  /** Part sizes of directory and S3 targets. */
  parts?: PartSinkOptions;
  s3?: Omit<S3SinkOptions, keyof PartSinkOptions>;
  postgres?: PostgresSinkOptions;
  /**
   * The embedded warehouse (PGlite under `.aoe/`), opened: a `warehouse`
   * target needs it here (opening PGlite is asynchronous; `openSinkConnector` does it).
   */
  warehouse?: Warehouse;
  warehouseSink?: WarehouseSinkOptions;
}

/** The source connector for a spec: postgres, s3, http-api or file. */
export function createSourceConnector(spec: SourceSpec, options: SourceConnectorOptions = {}): SourceConnector {
  switch (spec.kind) {
    case 'postgres':
      return new PostgresSource(
        spec,
        options.postgresConnectionFactory ? { connectionFactory: options.postgresConnectionFactory } : {},
      );
    case 's3':
      return new S3Source(spec, {
        ...(options.s3Client ? { client: options.s3Client } : {}),
        ...(options.sampleRows ? { sampleRows: options.sampleRows } : {}),
      });
    case 'http-api':
      return new HttpApiSource(spec, options.http);
    case 'file':
      return new FileSource(spec, {
        ...(options.cwd ? { cwd: options.cwd } : {}),
        ...(options.sampleRows ? { sampleRows: options.sampleRows } : {}),
      });
  }
}

/**
 * The sink connector for a target: postgres, s3, directory, or the embedded
 * warehouse when `options.warehouse` is the opened warehouse. A warehouse
 * target without it is refused with a ConnectorError saying so.
 */
export function createSinkConnector(target: TargetSpec, options: SinkConnectorOptions = {}): SinkConnector {
  switch (target.kind) {
    case 'postgres':
      return new PostgresSink(target, options.postgres);
    case 'warehouse': {
      if (!options.warehouse) {
        throw new ConnectorError(
          'bug',
          'a warehouse target is not supported without the embedded warehouse: open it first (openSinkConnector, or pass { warehouse: await Warehouse.open(dir) })',
        );
      }
      return new WarehouseSink(options.warehouse, target, options.warehouseSink);
    }
    case 's3':
      return new S3Sink(target, { ...options.parts, ...options.s3 });
    case 'directory':
      return new DirectorySink(target, { ...options.parts, ...(options.cwd ? { cwd: options.cwd } : {}) });
  }
}

/**
 * Like createSinkConnector, opening the embedded warehouse (at `warehouseDir`,
 * default `.aoe/warehouse`) for a `warehouse` target when none is given. The
 * caller closes a WarehouseSink it got this way (`close()`).
 */
export async function openSinkConnector(
  target: TargetSpec,
  options: SinkConnectorOptions & { warehouseDir?: string } = {},
): Promise<SinkConnector> {
  if (target.kind === 'warehouse' && !options.warehouse) {
    const warehouse = await Warehouse.open(options.warehouseDir ?? warehouseDirFor());
    return createSinkConnector(target, { ...options, warehouse });
  }
  return createSinkConnector(target, options);
}
