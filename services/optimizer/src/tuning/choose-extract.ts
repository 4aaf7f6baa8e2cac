import type { PipelinePlan, SourceProfile } from '@aoe/contracts';
import { median, type RunObservation } from './run-observation';

/** Full runs reading at least this many rows (median) are worth reading incrementally. */
export const INCREMENTAL_WORTH_ROWS = 1_000_000;
/** Incremental runs that read at least this share of the source (median) gain nothing from the cursor. */
export const INCREMENTAL_USELESS_SHARE = 0.5;
/** Runs needed before history overrides the planner's extract mode. */
export const MIN_RUNS_FOR_MODE = 2;

export interface ExtractSettings {
  mode: 'full' | 'incremental';
  cursorColumn?: string;
  partitions: number;
}

export interface ExtractChoice extends ExtractSettings {
  reasons: string[];
}

const UPDATE_WORDS = /(^|[^a-z])(updated|modified|changed)([^a-z]|$)|(updated|modified|changed)(at|on|time)$/i;
const ORDERABLE = new Set(['timestamp', 'timestamptz', 'date', 'integer', 'bigint']);

/** The cursor the profile offers that moves when a row changes (so an incremental merge misses nothing). */
function updateCursor(profile: SourceProfile | undefined): string | undefined {
  if (!profile || profile.kind !== 'postgres') return undefined;
  return profile.cursorCandidates.find((name) => {
    const column = profile.columns.find((c) => c.name === name);
    return column !== undefined && ORDERABLE.has(column.type) && UPDATE_WORDS.test(name);
  });
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * Keeps the planner's extract mode unless this pipeline's own runs say
 * otherwise, and only where a switch is safe: to incremental when full runs
 * move many rows, a cursor tracks updates and the load merges on a key; back
 * to full when incremental runs read most of the source anyway. Partitions
 * follow the read parallelism on a partitionable table.
 */
export function chooseExtract(
  plan: PipelinePlan,
  profile: SourceProfile | undefined,
  history: readonly RunObservation[],
  readParallelism: number,
): ExtractChoice {
  const extract = plan.tasks.find((t) => t.kind === 'extract');
  const load = plan.tasks.find((t) => t.kind === 'load');
  const drafted: ExtractSettings =
    extract?.kind === 'extract'
      ? {
          mode: extract.params.mode,
          ...(extract.params.cursorColumn ? { cursorColumn: extract.params.cursorColumn } : {}),
          partitions: extract.params.partitions,
        }
      : { mode: 'full', partitions: 1 };
  const partitions = drafted.partitions > 1 ? readParallelism : 1;
  const partitionNote =
    drafted.partitions > 1 && partitions !== drafted.partitions
      ? [`Partitions follow the read parallelism: ${partitions}.`]
      : [];
  const merges = load?.kind === 'load' && load.params.mode === 'merge';
  const ownRuns = (mode: ExtractSettings['mode']) =>
    history.filter((o) => o.own && o.status === 'succeeded' && o.extractMode === mode).map((o) => o.rowsRead);

  if (drafted.mode === 'full' && merges) {
    const cursor = updateCursor(profile);
    const rows = ownRuns('full');
    if (cursor && rows.length >= MIN_RUNS_FOR_MODE && median(rows) >= INCREMENTAL_WORTH_ROWS) {
      return {
        mode: 'incremental',
        cursorColumn: cursor,
        partitions,
        reasons: [
          `Extract becomes incremental on "${cursor}": full runs read a median of ${count(median(rows))} rows (${rows.length} runs), the cursor moves when a row changes and the load merges on its key.`,
          ...partitionNote,
        ],
      };
    }
  }
  if (drafted.mode === 'incremental' && merges && profile && profile.rowCountEstimate > 0) {
    const rows = ownRuns('incremental');
    const share = rows.length > 0 ? median(rows) / profile.rowCountEstimate : 0;
    if (rows.length >= MIN_RUNS_FOR_MODE && share >= INCREMENTAL_USELESS_SHARE) {
      return {
        mode: 'full',
        partitions,
        reasons: [
          `Extract becomes full: incremental runs read a median of ${Math.round(share * 100)}% of the source (${rows.length} runs), so the cursor saves nothing; the load still merges on its key.`,
          ...partitionNote,
        ],
      };
    }
  }
  return {
    ...drafted,
    partitions,
    reasons: [
      `Extract stays ${drafted.mode}${drafted.cursorColumn ? ` on "${drafted.cursorColumn}"` : ''}, as planned.`,
      ...partitionNote,
    ],
  };
}
