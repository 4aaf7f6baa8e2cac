import { EngineError } from '../errors';

export type ExpressionProblemCode = 'syntax' | 'limit' | 'unknown-column' | 'unknown-function' | 'arity' | 'type';

export interface SourcePosition {
  /** 0-based offset into the expression text. */
  offset: number;
  /** 1-based line and column, for people. */
  line: number;
  column: number;
}

export interface ExpressionProblem {
  code: ExpressionProblemCode;
  message: string;
  position: SourcePosition;
}

export function positionIn(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

/** Why an expression was refused: every problem found, each with where it is. */
export class ExpressionError extends EngineError {
  override readonly name = 'ExpressionError';
  readonly code = 'EXPRESSION_INVALID';
  constructor(
    readonly expression: string,
    readonly problems: ExpressionProblem[],
  ) {
    super(problems.map((p) => `${p.message} (at line ${p.position.line}, column ${p.position.column})`).join('; '));
  }

  /** True when the only problems are columns the schema does not have: the source changed, not the plan's syntax. */
  get onlyUnknownColumns(): boolean {
    return this.problems.length > 0 && this.problems.every((p) => p.code === 'unknown-column');
  }
}

/** A failure while evaluating a valid expression on one row (division by zero, a string that is not a number). */
export class EvaluationError extends EngineError {
  override readonly name = 'EvaluationError';
  readonly code = 'EXPRESSION_EVALUATION';
}
