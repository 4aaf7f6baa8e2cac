import { Injectable } from '@nestjs/common';
import { Store, type ColumnStat } from '@aoe/store';
import { schemaFingerprint } from './schema-fingerprint';

/** The columns a run saw, with null rates when measured, and their fingerprint. */
export interface RunColumns {
  columns: ColumnStat[];
  schemaFingerprint: string;
}

/**
 * The seam for column statistics. Run events do not carry per-column null
 * rates (contracts are shared); until the engine reports them, the monitor
 * takes the columns, types and null rates of the source's latest profile.
 * Replace the provider (token COLUMN_STATS) to read them from elsewhere.
 */
export interface ColumnStatsReader {
  read(run: { runId: string; pipelineId: string }): Promise<RunColumns | undefined>;
}

export const COLUMN_STATS = Symbol('monitor.column-stats');

/** Columns from the latest profile of the pipeline's source. */
@Injectable()
export class ProfileColumnStatsReader implements ColumnStatsReader {
  constructor(private readonly store: Store) {}

  async read(run: { pipelineId: string }): Promise<RunColumns | undefined> {
    const pipeline = await this.store.pipelines.get(run.pipelineId);
    if (!pipeline) return undefined;
    const profile = (await this.store.profiles.latest(pipeline.sourceId))?.profile;
    if (!profile || profile.columns.length === 0) return undefined;
    const columns = profile.columns.map((c): ColumnStat => ({
      name: c.name,
      type: c.type,
      nullRate: c.nullRate,
      sampleSize: profile.sampleSize,
    }));
    return { columns, schemaFingerprint: schemaFingerprint(columns) };
  }
}
