import { Inject, Injectable } from '@nestjs/common';
import type { SourceSpec, TargetSpec } from '@aoe/contracts';
import {
  createSinkConnector,
  createSourceConnector,
  PgClientFactory,
  PostgresSink,
  Warehouse,
  type PgSession,
  type SinkConnector,
  type SourceConnector,
} from '@aoe/connectors';
import { InMemoryQuarantineSink, PostgresQuarantineSink, type Queryable, type QuarantineSink } from '@aoe/engine';
import { DispatcherConfig } from '../dispatcher.config';

/** A load target opened for one chain: the sink, where its bad rows go, and how to let both go. */
export interface OpenedTarget {
  sink: SinkConnector;
  quarantine: QuarantineSink;
  /** `true` when the sink keeps the incremental state itself, in the load's transaction (PostgreSQL, warehouse). */
  keepsCheckpoints: boolean;
  close(): Promise<void>;
}

/**
 * Connectors from specs (the connectors' factory), with where each target's
 * bad rows go. Injectable, so a test can swap in a provider of its own.
 */
@Injectable()
export class ConnectorProvider {
  constructor(@Inject(DispatcherConfig) private readonly config: DispatcherConfig) {}

  source(spec: SourceSpec): SourceConnector {
    return createSourceConnector(spec);
  }

  async target(target: TargetSpec): Promise<OpenedTarget> {
    switch (target.kind) {
      case 'postgres': {
        const sink = createSinkConnector(target) as PostgresSink;
        const db = new LazySession(new PgClientFactory(target.connection));
        return {
          sink,
          quarantine: new PostgresQuarantineSink(db, { schema: target.table.schema }),
          keepsCheckpoints: true,
          close: async () => {
            await db.close();
            await sink.close();
          },
        };
      }
      case 'warehouse': {
        const warehouse = await Warehouse.open(this.config.warehouseDir);
        return {
          sink: createSinkConnector(target, { warehouse }),
          quarantine: new PostgresQuarantineSink(warehouse.queryable(), { schema: target.table.schema }),
          keepsCheckpoints: true,
          close: () => warehouse.close(),
        };
      }
      case 's3':
      case 'directory':
        // Objects and files have no table for bad rows: they are counted, and kept only in memory.
        return {
          sink: createSinkConnector(target),
          quarantine: new InMemoryQuarantineSink(),
          keepsCheckpoints: false,
          close: async () => {},
        };
    }
  }
}

/** A connection opened on first use (most loads quarantine nothing) and closed with the target. */
class LazySession implements Queryable {
  private session: Promise<PgSession> | undefined;

  constructor(private readonly factory: PgClientFactory) {}

  async query(text: string, values: unknown[] = []): Promise<{ rows: unknown[]; rowCount: number }> {
    this.session ??= this.factory.connect();
    const session = await this.session;
    return session.query(text, values);
  }

  async close(): Promise<void> {
    const session = await this.session?.catch(() => undefined);
    await session?.release();
  }
}
