import type { Batch, CheckResult, CursorState, SinkConnector, WriteOptions } from '../connector';
import type { FaultHook } from '../postgres/faults';
import type { PostgresWriteResult } from '../postgres/load-plan';
import { PostgresSink } from '../postgres/postgres.sink';
import { InsertStagingWriter } from '../postgres/staging-writer';
import { Warehouse, warehouseDirFor } from './warehouse';

/** The contract's `{ kind: 'warehouse', table }`. */
export interface WarehouseTarget {
  kind?: 'warehouse';
  table: { schema?: string; name: string };
}

export interface WarehouseSinkOptions {
  /** Rows per multi-row INSERT into the staging table (default 1,000; fewer when the table is wide). */
  rowsPerStatement?: number;
  faults?: FaultHook;
}

/**
 * Loads into a table of the embedded warehouse with the PostgreSQL sink's own
 * logic: a staging table, then one transaction that evolves the table,
 * publishes (append, replace or merge), records the load in `_aoe_loads` and
 * commits the incremental checkpoint in `_aoe_checkpoints`. PGlite has no
 * COPY FROM STDIN stream, so rows reach the staging table as multi-row,
 * parameterised INSERTs, a batch at a time.
 */
export class WarehouseSink implements SinkConnector {
  readonly kind = 'warehouse';
  private readonly sink: PostgresSink;

  constructor(
    readonly warehouse: Warehouse,
    target: WarehouseTarget,
    options: WarehouseSinkOptions = {},
  ) {
    this.sink = new PostgresSink(
      { kind: 'warehouse', table: target.table },
      {
        connectionFactory: warehouse.connectionFactory(),
        stagingWriter: new InsertStagingWriter(options.rowsPerStatement ?? 1000),
        faults: options.faults,
      },
    );
  }

  /** A sink on the warehouse in `dir` (default: `.aoe/warehouse`, see warehouseDirFor); `close()` lets it go. */
  static async open(
    target: WarehouseTarget,
    dir: string = warehouseDirFor(),
    options?: WarehouseSinkOptions,
  ): Promise<WarehouseSink> {
    return new WarehouseSink(await Warehouse.open(dir), target, options);
  }

  /** `warehouse://<dir>#schema.table` */
  get location(): string {
    return this.sink.location;
  }

  check(): Promise<CheckResult> {
    return this.sink.check();
  }

  /** The incremental state committed with the data. */
  readCheckpoint(pipelineId: string, stream: string): Promise<CursorState | undefined> {
    return this.sink.readCheckpoint(pipelineId, stream);
  }

  write(batches: AsyncIterable<Batch>, options: WriteOptions): Promise<PostgresWriteResult> {
    return this.sink.write(batches, options);
  }

  /** Gives the warehouse reference back. */
  close(): Promise<void> {
    return this.warehouse.close();
  }
}
