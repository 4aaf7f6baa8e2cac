import {
  advanceCursor,
  alreadyLoaded,
  incrementalKeyColumns,
  readTargetCheckpoint,
  type PostgresSinkTarget,
  type CursorState,
  type Row,
  type StreamSchema,
} from '@aoe/connectors';
import { PlanError } from '../errors';

/**
 * Where the last committed incremental state of a stream is read from: the
 * target itself for PostgreSQL (`PostgresSink.readCheckpoint`, or the
 * connectors' `readTargetCheckpoint(target, …)` wrapped), so the state and
 * the data can never disagree.
 */
export interface CheckpointReader {
  readCheckpoint(pipelineId: string, stream: string): Promise<CursorState | undefined>;
}

/** A reader over the connectors' `readTargetCheckpoint`, for a PostgreSQL target whose sink is not at hand. */
export function targetCheckpointReader(
  target: PostgresSinkTarget,
  options?: Parameters<typeof readTargetCheckpoint>[3],
): CheckpointReader {
  return { readCheckpoint: (pipelineId, stream) => readTargetCheckpoint(target, pipelineId, stream, options) };
}

export function isCheckpointReader(value: unknown): value is CheckpointReader {
  return typeof (value as Partial<CheckpointReader> | null)?.readCheckpoint === 'function';
}

/**
 * Follows the cursor through one run: drops rows an earlier run already
 * loaded (at exactly the mark, with a key in `keysAtValue`) and folds every
 * row read into the next state, which the sink commits with the data. Rows
 * that are later filtered or quarantined move the mark too: they were
 * handled, and must not come back on the next run.
 *
 * The ordering and key encoding are the connectors' (`advanceCursor`,
 * `alreadyLoaded`), so the source's skip and the engine's agree.
 */
export class CursorTracker {
  private state: CursorState | undefined;
  /** The committed state this run starts from, when it is for this cursor column. */
  private readonly base: CursorState | undefined;
  private readonly seen: ReadonlySet<string>;
  private readonly keyColumns: string[];

  constructor(
    readonly column: string,
    readonly previous: CursorState | undefined,
    schema: StreamSchema,
    primaryKey?: readonly string[],
  ) {
    if (!schema.columns.some((c) => c.name === column)) {
      throw new PlanError([
        { where: 'extract', message: `cursor column "${column}" is not in the source`, unknownColumn: true },
      ]);
    }
    const names = new Set(schema.columns.map((c) => c.name));
    this.keyColumns =
      primaryKey && primaryKey.length > 0 && primaryKey.every((c) => names.has(c))
        ? [...primaryKey]
        : incrementalKeyColumns(schema);
    const usable = previous && previous.column === column ? previous : undefined;
    this.base = usable;
    this.state = usable;
    this.seen = new Set(usable?.keysAtValue ?? []);
  }

  /** The rows of a batch not loaded before, with their positions; counts what it dropped. */
  filterNew(rows: Row[], positions: string[]): { rows: Row[]; positions: string[]; skipped: number } {
    const previous = this.base;
    if (!previous || previous.value === null || this.seen.size === 0) return { rows, positions, skipped: 0 };
    const keptRows: Row[] = [];
    const keptPositions: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      if (alreadyLoaded(rows[i], previous, this.seen, this.keyColumns)) continue;
      keptRows.push(rows[i]);
      keptPositions.push(positions[i]);
    }
    return { rows: keptRows, positions: keptPositions, skipped: rows.length - keptRows.length };
  }

  /** Folds a batch's rows (as read) into the state. */
  advance(rows: readonly Row[]): void {
    if (rows.length === 0) return;
    this.state = advanceCursor(this.state, rows, this.column, this.keyColumns);
  }

  /** The state to commit with the data. */
  current(): CursorState | undefined {
    return this.state;
  }
}
