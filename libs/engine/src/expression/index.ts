export type { Expr, BinaryOperator, LiteralValue } from './ast';
export { parse, DEFAULT_LIMITS, type ExpressionLimits } from './parser';
export { tokenize, type Token } from './lexer';
export { compile, compileOrThrow, type CompileResult, type CompileOptions } from './compiler';
export { ExpressionError, EvaluationError, type ExpressionProblem, type SourcePosition } from './expression-error';
export { FUNCTIONS } from './functions';
export type { ColumnBinding, CompiledExpression, ExprType } from './types';
