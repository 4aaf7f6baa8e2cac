import type { ErrorClass } from '@aoe/contracts';

/**
 * Typed engine errors, each with a stable `code`. Whether to retry is decided
 * by `classifyError` (classify-error.ts) from these, never by the code that
 * throws them.
 */
export abstract class EngineError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Keeps `instanceof` working even where the code is down-levelled (ts-node's default ES5 target).
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** One row that failed a transform or a rule, with where it came from and why. */
export interface RowFailure {
  position: string;
  reason: string;
  /** The row as the source produced it (transform failures) or as it would have been loaded (rule failures). */
  row: Record<string, unknown>;
  stage: 'source' | 'transform' | 'validate';
}

/** Rows failed a cast, an expression or a rule, and the plan says fail rather than quarantine. */
export class DataQualityError extends EngineError {
  override readonly name = 'DataQualityError';
  readonly code = 'DATA_QUALITY';
  constructor(
    message: string,
    /** The first failures (at most a handful), for the person reading the alert. */
    readonly failures: RowFailure[],
  ) {
    super(
      failures.length === 0
        ? message
        : `${message}: ${failures
            .slice(0, 5)
            .map((f) => `${f.position}: ${f.reason}`)
            .join('; ')}${failures.length > 5 ? `; and ${failures.length - 5} more` : ''}`,
    );
  }
}

export interface PlanProblem {
  /** Which operation or rule: `transform #2 (derive)`, `validate rule #1 (pattern)`. */
  where: string;
  message: string;
  /** Set when the problem is a column the input does not have (the source changed under the plan). */
  unknownColumn?: boolean;
}

/** The plan does not fit the data: unknown columns, invalid expressions, unsafe patterns. Found before any row moves. */
export class PlanError extends EngineError {
  override readonly name = 'PlanError';
  readonly code = 'PLAN_INVALID';
  constructor(readonly problems: PlanProblem[]) {
    super(`the plan does not fit the data: ${problems.map((p) => `${p.where}: ${p.message}`).join('; ')}`);
  }

  /** Every problem is a missing column: the source's schema drifted away from the plan. */
  get isSchemaDrift(): boolean {
    return this.problems.length > 0 && this.problems.every((p) => p.unknownColumn === true);
  }
}

/** A bound the engine keeps to protect memory (distinct keys tracked for dedupe or unique). */
export class ResourceLimitError extends EngineError {
  override readonly name = 'ResourceLimitError';
  readonly code = 'RESOURCE_LIMIT';
}

/** The task was cancelled through its AbortSignal. */
export class CancelledError extends EngineError {
  override readonly name = 'CancelledError';
  readonly code = 'CANCELLED';
}

/** Thrown by the fault-injection hook: a simulated crash at a named point. */
export class InjectedFaultError extends EngineError {
  override readonly name = 'InjectedFaultError';
  readonly code = 'INJECTED_FAULT';
}

/** A row a cast could not convert. Row-level: quarantined or fails the task, never crashes it unclassified. */
export class CastError extends EngineError {
  override readonly name = 'CastError';
  readonly code = 'CAST_FAILED';
}

export type { ErrorClass };
