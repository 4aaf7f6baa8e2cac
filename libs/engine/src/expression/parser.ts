import type { BinaryOperator, Expr } from './ast';
import { depthOf } from './ast';
import { ExpressionError, positionIn } from './expression-error';
import { tokenize, type Token } from './lexer';

export interface ExpressionLimits {
  /** Characters in the text (the plan contract allows 2,000). */
  maxLength: number;
  /** Tokens in the text. */
  maxTokens: number;
  /** Nesting of parentheses, calls and prefix operators, and depth of the resulting tree. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: ExpressionLimits = { maxLength: 2000, maxTokens: 1000, maxDepth: 64 };

/** Binding levels, loosest first. Comparisons, `is` and `in` share one level and do not chain. */
const Level = { Or: 1, And: 2, Not: 3, Compare: 4, Concat: 5, Add: 6, Multiply: 7 } as const;

const KEYWORDS = new Set(['and', 'or', 'not', 'is', 'null', 'true', 'false', 'in']);

interface Infix {
  level: number;
  op: BinaryOperator | 'is' | 'in' | 'not-in';
}

/**
 * A Pratt parser for the expression language. Grammar (loosest first):
 *
 *   expr    := expr OR expr | expr AND expr | NOT expr | compare
 *   compare := concat [ (= | != | <> | < | <= | > | >=) concat
 *                     | IS [NOT] NULL | [NOT] IN ( expr {, expr} ) ]
 *   concat  := sum { || sum }
 *   sum     := product { (+ | -) product }
 *   product := unary { (* | / | %) unary }
 *   unary   := - unary | primary
 *   primary := number | 'string' | TRUE | FALSE | NULL | column | "quoted column"
 *            | function ( [expr {, expr}] ) | ( expr )
 */
export function parse(text: string, limits: ExpressionLimits = DEFAULT_LIMITS): Expr {
  const tokens = tokenize(text, limits);
  let index = 0;
  let depth = 0;

  const fail = (message: string, offset: number, code: 'syntax' | 'limit' = 'syntax'): never => {
    throw new ExpressionError(text, [{ code, message, position: positionIn(text, offset) }]);
  };
  const peek = (ahead = 0): Token => tokens[Math.min(index + ahead, tokens.length - 1)];
  const next = (): Token => tokens[index++];
  const keyword = (token: Token): string | undefined => {
    if (token.kind !== 'identifier') return undefined;
    const lower = token.text.toLowerCase();
    return KEYWORDS.has(lower) ? lower : undefined;
  };
  const describe = (token: Token): string => {
    switch (token.kind) {
      case 'end':
        return 'end of expression';
      case 'string':
        return `string '${token.text}'`;
      case 'quoted-identifier':
        return `"${token.text}"`;
      case 'number':
      case 'identifier':
      case 'operator':
        return `"${token.text}"`;
    }
  };
  const expectOperator = (op: string, context: string): Token => {
    const token = peek();
    if (token.kind !== 'operator' || token.text !== op)
      fail(`expected "${op}" ${context}, found ${describe(token)}`, token.offset);
    return next();
  };
  const enter = (offset: number): void => {
    if (++depth > limits.maxDepth)
      fail(`expression is nested more than ${limits.maxDepth} levels deep`, offset, 'limit');
  };

  const infixOf = (token: Token): Infix | undefined => {
    if (token.kind === 'operator') {
      switch (token.text) {
        case '=':
        case '!=':
        case '<':
        case '<=':
        case '>':
        case '>=':
          return { level: Level.Compare, op: token.text };
        case '||':
          return { level: Level.Concat, op: '||' };
        case '+':
        case '-':
          return { level: Level.Add, op: token.text };
        case '*':
        case '/':
        case '%':
          return { level: Level.Multiply, op: token.text };
        default:
          return undefined;
      }
    }
    const word = keyword(token);
    if (word === 'or') return { level: Level.Or, op: 'or' };
    if (word === 'and') return { level: Level.And, op: 'and' };
    if (word === 'is') return { level: Level.Compare, op: 'is' };
    if (word === 'in') return { level: Level.Compare, op: 'in' };
    if (word === 'not' && keyword(peek(1)) === 'in') return { level: Level.Compare, op: 'not-in' };
    return undefined;
  };

  const parseList = (context: string): Expr[] => {
    const items: Expr[] = [];
    const open = expectOperator('(', context);
    if (peek().kind === 'operator' && peek().text === ')') {
      next();
      return items;
    }
    for (;;) {
      items.push(parseExpression(0));
      const token = peek();
      if (token.kind === 'operator' && token.text === ',') {
        next();
        continue;
      }
      expectOperator(')', `to close the list opened at column ${positionIn(text, open.offset).column}`);
      return items;
    }
  };

  const parsePrefix = (): Expr => {
    const token = next();
    switch (token.kind) {
      case 'number':
        return { kind: 'literal', value: token.number ?? Number(token.text), offset: token.offset };
      case 'string':
        return { kind: 'literal', value: token.text, offset: token.offset };
      case 'quoted-identifier':
        return { kind: 'column', name: token.text, quoted: true, offset: token.offset };
      case 'identifier': {
        const word = keyword(token);
        if (word === 'true' || word === 'false')
          return { kind: 'literal', value: word === 'true', offset: token.offset };
        if (word === 'null') return { kind: 'literal', value: null, offset: token.offset };
        if (word === 'not') {
          const operand = parseExpression(Level.Not);
          return { kind: 'not', operand, offset: token.offset };
        }
        if (word !== undefined) return fail(`unexpected keyword "${token.text}"`, token.offset);
        if (peek().kind === 'operator' && peek().text === '(') {
          const args = parseList(`after function ${token.text}`);
          return { kind: 'call', name: token.text.toLowerCase(), args, offset: token.offset };
        }
        return { kind: 'column', name: token.text, quoted: false, offset: token.offset };
      }
      case 'operator': {
        if (token.text === '(') {
          const inner = parseExpression(0);
          expectOperator(')', `to close the parenthesis at column ${positionIn(text, token.offset).column}`);
          return inner;
        }
        if (token.text === '-') {
          const operand = parseExpression(Level.Multiply + 1);
          if (operand.kind === 'literal' && typeof operand.value === 'number') {
            return { kind: 'literal', value: -operand.value, offset: token.offset };
          }
          return { kind: 'negate', operand, offset: token.offset };
        }
        return fail(`unexpected ${describe(token)}`, token.offset);
      }
      case 'end':
        return fail('unexpected end of expression', token.offset);
    }
  };

  function parseExpression(minLevel: number): Expr {
    enter(peek().offset);
    let left = parsePrefix();
    let compared = false;
    for (;;) {
      const token = peek();
      const infix = infixOf(token);
      if (!infix || infix.level < minLevel) break;
      if (infix.level === Level.Compare) {
        if (compared) fail('comparisons do not chain; combine them with "and"', token.offset);
        compared = true;
      }
      next();
      const op = infix.op;
      if (op === 'is') {
        const negated = keyword(peek()) === 'not';
        if (negated) next();
        const nullToken = next();
        if (keyword(nullToken) !== 'null') fail(`expected NULL after IS${negated ? ' NOT' : ''}`, nullToken.offset);
        left = { kind: 'is-null', operand: left, negated, offset: token.offset };
      } else if (op === 'in' || op === 'not-in') {
        if (op === 'not-in') next();
        const list = parseList('after IN');
        if (list.length === 0) fail('IN needs at least one value', token.offset);
        left = { kind: 'in', operand: left, list, negated: op === 'not-in', offset: token.offset };
      } else {
        const right = parseExpression(infix.level + 1);
        left = { kind: 'binary', op, left, right, offset: token.offset };
      }
    }
    depth--;
    return left;
  }

  const tree = parseExpression(0);
  const rest = peek();
  if (rest.kind !== 'end') {
    fail(`unexpected ${describe(rest)} after the end of the expression`, rest.offset);
  }
  const treeDepth = depthOf(tree);
  if (treeDepth > limits.maxDepth * 4) {
    fail(`expression tree is ${treeDepth} levels deep; the limit is ${limits.maxDepth * 4}`, 0, 'limit');
  }
  return tree;
}
