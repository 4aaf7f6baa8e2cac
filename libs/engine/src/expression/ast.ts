/**
 * The expression language's syntax tree. Every node keeps the offset of its
 * first character in the source text so errors can point at it.
 */

export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%';
export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type LogicalOperator = 'and' | 'or';
export type BinaryOperator = ArithmeticOperator | ComparisonOperator | LogicalOperator | '||';

export type LiteralValue = string | number | boolean | null;

export type Expr =
  | { kind: 'literal'; value: LiteralValue; offset: number }
  | { kind: 'column'; name: string; quoted: boolean; offset: number }
  | { kind: 'negate'; operand: Expr; offset: number }
  | { kind: 'not'; operand: Expr; offset: number }
  | { kind: 'binary'; op: BinaryOperator; left: Expr; right: Expr; offset: number }
  | { kind: 'is-null'; operand: Expr; negated: boolean; offset: number }
  | { kind: 'in'; operand: Expr; list: Expr[]; negated: boolean; offset: number }
  | { kind: 'call'; name: string; args: Expr[]; offset: number };

/** The depth of a tree (a literal is 1). */
export function depthOf(expr: Expr): number {
  switch (expr.kind) {
    case 'literal':
    case 'column':
      return 1;
    case 'negate':
    case 'not':
    case 'is-null':
      return 1 + depthOf(expr.operand);
    case 'binary':
      return 1 + Math.max(depthOf(expr.left), depthOf(expr.right));
    case 'in':
      return 1 + Math.max(depthOf(expr.operand), ...expr.list.map(depthOf));
    case 'call':
      return 1 + Math.max(0, ...expr.args.map(depthOf));
  }
}
