import type { LogicalType } from '@aoe/contracts';
import type { Row, WriteOptions, WriteResult } from './connector';
import type { PassThroughFallback, PassThroughReader } from './pass-through';

/**
 * The set-based path: a pass-through reader's raw text is COPYed into the
 * target's staging table, and the target does a task's casts, dedupe, row
 * rules and publish in SQL, set-based, inside the load's one transaction.
 * The engine keeps the semantics: every row the target cannot vouch for
 * (a cast or a rule it could not prove in SQL) is handed back and judged by
 * the engine's own code, row by row, in source order.
 */
export interface StagedTransform {
  /** Columns converted from text, each with the logical type it ends as (names unchanged). */
  casts: ReadonlyArray<{ column: string; to: LogicalType }>;
  /** Keep the first row of each key (by source order) among rows whose casts succeed. */
  dedupeKey?: readonly string[];
  /**
   * Row rules over the rows dedupe keeps: not-null columns, and JavaScript
   * patterns (values longer than `maxInput` fail), checked on the raw text as
   * it streams; a row they cannot vouch for goes to `judgeRules`.
   */
  notNull: readonly string[];
  patterns: ReadonlyArray<{ column: string; regex: string; maxInput: number }>;
  /**
   * Rows with a cast the target could not prove (raw text, source order).
   * Returns the ordinals the engine rejected (quarantined); throws to fail the
   * load. `needsRowPath` when a row does convert but not in a form SQL takes.
   */
  judgeCasts(rows: readonly StagedRow[]): Promise<{ rejected: number[]; needsRowPath?: string }>;
  /** Rows dedupe keeps whose rules the target could not prove (raw text). Returns the ordinals rejected. */
  judgeRules(rows: readonly StagedRow[]): Promise<number[]>;
  /** Before the commit, with the number of rows to be loaded: throws to abort the load (row-count rules). */
  finish(rowsToLoad: number): void;
}

export interface StagedRow {
  /** The record's ordinal in the data, from 1. */
  ordinal: number;
  /** Where the source has it (`orders.csv:17`). */
  position: string;
  /** Column → raw text or null. */
  row: Row;
}

export interface StagedWriteResult extends WriteResult {
  /** Rows handed to the publish (after casts, dedupe and rules); 0 when the load had been committed before. */
  rowsToLoad: number;
  /** This load had been committed before (a retry): nothing was written now. */
  alreadyCommitted: boolean;
  /** The rows went straight into a new target by typed COPY (no staging table). */
  typedCopy?: boolean;
}

export interface StagedWriteAttempt {
  /**
   * May the sink try the typed COPY first (a target that does not exist yet,
   * loaded straight from the CSV by parallel COPYs while strict field checks
   * vouch for every value)? Default true.
   */
  typedCopy?: boolean;
}

/**
 * The typed COPY gave up before anything was committed (a value in doubt,
 * duplicate keys): the staged path may still load the data, from a fresh
 * reader (`typedCopy: false`).
 */
export interface TypedCopyRefused extends PassThroughFallback {
  typedCopyRefused: true;
}

export function isTypedCopyRefused(value: unknown): value is TypedCopyRefused {
  return (value as Partial<TypedCopyRefused> | null)?.typedCopyRefused === true;
}

/** A sink that can run a `StagedTransform` (PostgresSink). */
export interface StagedTransformSink {
  /** Why it cannot cast to these types in SQL (no I/O); undefined when it can. */
  cannotStage(transform: Pick<StagedTransform, 'casts'>): string | undefined;
  writeStaged(
    reader: PassThroughReader,
    options: WriteOptions,
    transform: StagedTransform,
    attempt?: StagedWriteAttempt,
  ): Promise<StagedWriteResult | PassThroughFallback>;
}

export function isStagedTransformSink(sink: unknown): sink is StagedTransformSink {
  const candidate = sink as Partial<StagedTransformSink> | null;
  return typeof candidate?.writeStaged === 'function' && typeof candidate.cannotStage === 'function';
}
