import type { LogicalType } from '@aoe/contracts';
import type { Row, Value } from '@aoe/connectors';
import { parseTimestamp, textOf } from '../values';
import type { ArithmeticOperator, ComparisonOperator, Expr } from './ast';
import { EvaluationError, ExpressionError, positionIn, type ExpressionProblem } from './expression-error';
import { FUNCTIONS, REFUSED_FUNCTIONS } from './functions';
import { DEFAULT_LIMITS, parse, type ExpressionLimits } from './parser';
import { booleanOf, compareModeOf, compareValues, numberOf, type CompareMode } from './runtime';
import {
  exprTypeOf,
  logicalTypeOf,
  type ColumnBinding,
  type CompiledExpression,
  type Evaluator,
  type ExprType,
} from './types';

export type CompileResult = { ok: true; expression: CompiledExpression } | { ok: false; error: ExpressionError };

export interface CompileOptions {
  limits?: Partial<ExpressionLimits>;
  /** The type the expression must have (`boolean` for a filter). */
  expect?: 'boolean';
}

interface Typed {
  type: ExprType;
  /** Exact column type when the value is a column passed through (a reference, a coalesce of one type). */
  logical?: LogicalType;
  fn: Evaluator;
  /** Set for literals: lets comparisons and IN lists specialise. */
  constant?: { value: Value };
}

/**
 * Compiles expression text against the columns it may read. Every unknown
 * column, unknown function, wrong argument count and type mismatch is
 * reported at once, each with its position; nothing is evaluated as code.
 */
export function compile(
  text: string,
  columns: ReadonlyArray<string | ColumnBinding>,
  options: CompileOptions = {},
): CompileResult {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  let ast: Expr;
  try {
    ast = parse(text, limits);
  } catch (error) {
    if (error instanceof ExpressionError) return { ok: false, error };
    throw error;
  }

  const bindings = columns.map((c) => (typeof c === 'string' ? { name: c } : c));
  const byName = new Map(bindings.map((b) => [b.name, b]));
  const byLowerName = new Map<string, ColumnBinding | null>();
  for (const b of bindings) {
    const lower = b.name.toLowerCase();
    byLowerName.set(lower, byLowerName.has(lower) ? null : b);
  }

  const problems: ExpressionProblem[] = [];
  const referenced = new Set<string>();
  const problem = (code: ExpressionProblem['code'], message: string, offset: number): void => {
    problems.push({ code, message, position: positionIn(text, offset) });
  };

  const resolve = (name: string, quoted: boolean, offset: number): ColumnBinding | undefined => {
    const exact = byName.get(name);
    if (exact) return exact;
    if (!quoted) {
      const folded = byLowerName.get(name.toLowerCase());
      if (folded) return folded;
    }
    const hint = suggest(name, bindings);
    const extra = quoted && /\s/.test(name) ? '; for a string use single quotes' : '';
    problem('unknown-column', `unknown column "${name}"${hint ? `; did you mean "${hint}"?` : ''}${extra}`, offset);
    return undefined;
  };

  const check = (expr: Expr): Typed => {
    switch (expr.kind) {
      case 'literal': {
        const value = expr.value;
        const type: ExprType =
          value === null
            ? 'null'
            : typeof value === 'string'
              ? 'string'
              : typeof value === 'number'
                ? 'number'
                : 'boolean';
        return { type, fn: () => value, constant: { value } };
      }
      case 'column': {
        const binding = resolve(expr.name, expr.quoted, expr.offset);
        if (!binding) return { type: 'any', fn: () => null };
        referenced.add(binding.name);
        const key = binding.key ?? binding.name;
        return {
          type: exprTypeOf(binding.type),
          logical: binding.type,
          fn: (row) => {
            const value = row[key];
            return value === undefined ? null : value;
          },
        };
      }
      case 'negate': {
        const operand = check(expr.operand);
        if (!isNumeric(operand.type)) problem('type', `"-" needs a number, got ${operand.type}`, expr.offset);
        const fn = operand.fn;
        return {
          type: 'number',
          fn: (row) => {
            const value = fn(row);
            return value === null ? null : -numberOf(value, '"-"');
          },
        };
      }
      case 'not': {
        const operand = check(expr.operand);
        if (!isBooleanish(operand.type)) problem('type', `NOT needs a boolean, got ${operand.type}`, expr.offset);
        const fn = operand.fn;
        return {
          type: 'boolean',
          fn: (row) => {
            const value = booleanOf(fn(row), 'NOT');
            return value === null ? null : !value;
          },
        };
      }
      case 'is-null': {
        const fn = check(expr.operand).fn;
        return expr.negated
          ? { type: 'boolean', fn: (row) => fn(row) !== null }
          : { type: 'boolean', fn: (row) => fn(row) === null };
      }
      case 'in':
        return checkIn(expr);
      case 'call':
        return checkCall(expr);
      case 'binary':
        switch (expr.op) {
          case 'and':
          case 'or':
            return checkLogical(expr.op, expr.left, expr.right, expr.offset);
          case '||':
            return checkConcat(expr.left, expr.right);
          case '+':
          case '-':
          case '*':
          case '/':
          case '%':
            return checkArithmetic(expr.op, expr.left, expr.right, expr.offset);
          case '=':
          case '!=':
          case '<':
          case '<=':
          case '>':
          case '>=':
            return checkComparison(expr.op, expr.left, expr.right, expr.offset);
        }
    }
  };

  const checkLogical = (op: 'and' | 'or', leftExpr: Expr, rightExpr: Expr, offset: number): Typed => {
    const left = check(leftExpr);
    const right = check(rightExpr);
    for (const side of [left, right]) {
      if (!isBooleanish(side.type)) problem('type', `${op.toUpperCase()} needs booleans, got ${side.type}`, offset);
    }
    const l = left.fn;
    const r = right.fn;
    const name = op.toUpperCase();
    if (op === 'and') {
      return {
        type: 'boolean',
        fn: (row) => {
          const a = booleanOf(l(row), name);
          if (a === false) return false;
          const b = booleanOf(r(row), name);
          if (b === false) return false;
          return a === null || b === null ? null : true;
        },
      };
    }
    return {
      type: 'boolean',
      fn: (row) => {
        const a = booleanOf(l(row), name);
        if (a === true) return true;
        const b = booleanOf(r(row), name);
        if (b === true) return true;
        return a === null || b === null ? null : false;
      },
    };
  };

  const checkConcat = (leftExpr: Expr, rightExpr: Expr): Typed => {
    const l = check(leftExpr).fn;
    const r = check(rightExpr).fn;
    return {
      type: 'string',
      fn: (row) => {
        const a = l(row);
        if (a === null) return null;
        const b = r(row);
        return b === null ? null : textOf(a) + textOf(b);
      },
    };
  };

  const checkArithmetic = (op: ArithmeticOperator, leftExpr: Expr, rightExpr: Expr, offset: number): Typed => {
    const left = check(leftExpr);
    const right = check(rightExpr);
    for (const side of [left, right]) {
      if (!isNumeric(side.type)) {
        const hint = side.type === 'string' ? '; convert with to_number(...), or join text with ||' : '';
        problem('type', `"${op}" needs numbers, got ${side.type}${hint}`, offset);
      }
    }
    const l = left.fn;
    const r = right.fn;
    const context = `"${op}"`;
    const apply = arithmetic(op);
    return {
      type: 'number',
      fn: (row) => {
        const a = l(row);
        if (a === null) return null;
        const b = r(row);
        if (b === null) return null;
        const x = typeof a === 'number' ? a : numberOf(a, context);
        const y = typeof b === 'number' ? b : numberOf(b, context);
        const result = apply(x, y);
        if (!Number.isFinite(result)) throw new EvaluationError(`${context}: numeric overflow`);
        return result;
      },
    };
  };

  const checkComparison = (op: ComparisonOperator, leftExpr: Expr, rightExpr: Expr, offset: number): Typed => {
    const left = check(leftExpr);
    const right = check(rightExpr);
    const mode = comparable(left, right, op, offset);
    const test = comparisonTest(op);
    const context = `"${op}"`;
    const l = dateConstant(left, mode) ?? left.fn;
    const r = dateConstant(right, mode) ?? right.fn;
    // Fast paths: a column against a number or text literal.
    const constant = right.constant?.value;
    if (mode === 'number' && typeof constant === 'number') {
      return {
        type: 'boolean',
        fn: (row) => {
          const a = l(row);
          if (a === null) return null;
          const x = typeof a === 'number' ? a : numberOf(a, context);
          return test(x < constant ? -1 : x > constant ? 1 : 0);
        },
      };
    }
    if (mode === 'text' && typeof constant === 'string') {
      return {
        type: 'boolean',
        fn: (row) => {
          const a = l(row);
          if (a === null) return null;
          const x = typeof a === 'string' ? a : textOf(a);
          return test(x < constant ? -1 : x > constant ? 1 : 0);
        },
      };
    }
    return {
      type: 'boolean',
      fn: (row) => {
        const a = l(row);
        if (a === null) return null;
        const b = r(row);
        if (b === null) return null;
        return test(compareValues(a, b, mode, context));
      },
    };
  };

  const comparable = (left: Typed, right: Typed, op: string, offset: number): CompareMode => {
    const mode = compareModeOf(left.type, right.type);
    if (mode === undefined) {
      const hint =
        (left.type === 'string' && right.type === 'number') || (left.type === 'number' && right.type === 'string')
          ? '; convert with to_number(...)'
          : '';
      problem('type', `cannot compare ${left.type} with ${right.type}${hint}`, offset);
      return 'dynamic';
    }
    if (mode === 'exact' && op !== '=' && op !== '!=') {
      problem('type', `"${op}" cannot order ${left.type} values; only = and != apply`, offset);
    }
    if (mode === 'date') {
      for (const side of [left, right]) {
        const value = side.constant?.value;
        if (typeof value === 'string' && parseTimestamp(value) === undefined) {
          problem('type', `'${value}' is not a date or timestamp (use YYYY-MM-DD or ISO 8601)`, offset);
        }
      }
    }
    return mode;
  };

  const checkIn = (expr: Extract<Expr, { kind: 'in' }>): Typed => {
    const operand = check(expr.operand);
    const items = expr.list.map((item) => ({ item: check(item), offset: item.offset }));
    const modes = items.map(({ item, offset }) => comparable(operand, item, '=', offset));
    const negated = expr.negated;
    const l = operand.fn;
    const finish = (found: boolean, sawNull: boolean): boolean | null => (found ? !negated : sawNull ? null : negated);

    // All constants of one kind: look up in a Set instead of comparing one by one.
    const constants = items.map(({ item }) => item.constant?.value);
    const allConstant = constants.every((c) => c !== undefined);
    const sawNullConstant = constants.some((c) => c === null);
    if (
      allConstant &&
      modes.every((m) => m === 'number') &&
      constants.every((c) => c === null || typeof c === 'number')
    ) {
      const set = new Set(constants.filter((c): c is number => typeof c === 'number'));
      return {
        type: 'boolean',
        fn: (row) => {
          const a = l(row);
          if (a === null) return null;
          return finish(set.has(typeof a === 'number' ? a : numberOf(a, 'IN')), sawNullConstant);
        },
      };
    }
    if (
      allConstant &&
      modes.every((m) => m === 'text') &&
      constants.every((c) => c === null || typeof c === 'string')
    ) {
      const set = new Set(constants.filter((c): c is string => typeof c === 'string'));
      return {
        type: 'boolean',
        fn: (row) => {
          const a = l(row);
          if (a === null) return null;
          return finish(set.has(typeof a === 'string' ? a : textOf(a)), sawNullConstant);
        },
      };
    }
    const fns = items.map(({ item }) => item.fn);
    return {
      type: 'boolean',
      fn: (row) => {
        const a = l(row);
        if (a === null) return null;
        let sawNull = false;
        for (let i = 0; i < fns.length; i++) {
          const b = fns[i](row);
          if (b === null) sawNull = true;
          else if (compareValues(a, b, modes[i], 'IN') === 0) return finish(true, false);
        }
        return finish(false, sawNull);
      },
    };
  };

  const checkCall = (expr: Extract<Expr, { kind: 'call' }>): Typed => {
    const args = expr.args.map(check);
    const spec = Object.prototype.hasOwnProperty.call(FUNCTIONS, expr.name) ? FUNCTIONS[expr.name] : undefined;
    if (!spec) {
      const refused = Object.prototype.hasOwnProperty.call(REFUSED_FUNCTIONS, expr.name)
        ? REFUSED_FUNCTIONS[expr.name]
        : undefined;
      const allowed = Object.keys(FUNCTIONS).sort().join(', ');
      problem(
        'unknown-function',
        refused
          ? `function ${expr.name}() is not available: ${refused}`
          : `unknown function ${expr.name}(); allowed: ${allowed}`,
        expr.offset,
      );
      return { type: 'any', fn: () => null };
    }
    if (args.length < spec.minArgs || args.length > spec.maxArgs) {
      const expected =
        spec.minArgs === spec.maxArgs
          ? `${spec.minArgs}`
          : spec.maxArgs >= 32
            ? `at least ${spec.minArgs}`
            : `${spec.minArgs} to ${spec.maxArgs}`;
      problem('arity', `${expr.name}() takes ${expected} argument(s), got ${args.length}`, expr.offset);
      return { type: 'any', fn: () => null };
    }
    const type = spec.check(
      args.map((a) => a.type),
      (index, message) => problem('type', message, expr.args[index]?.offset ?? expr.offset),
    );
    const logical =
      expr.name === 'coalesce' &&
      args.every((a) => a.type === 'null' || a.logical === args.find((x) => x.logical)?.logical)
        ? args.find((a) => a.logical)?.logical
        : undefined;
    return { type, logical, fn: spec.build(args.map((a) => a.fn)) };
  };

  const root = check(ast);
  if (options.expect === 'boolean' && !isBooleanish(root.type)) {
    problem('type', `a filter must be a condition (true or false), got ${root.type}`, 0);
  }
  if (problems.length > 0) {
    problems.sort((a, b) => a.position.offset - b.position.offset);
    return { ok: false, error: new ExpressionError(text, problems) };
  }

  const fn = root.fn;
  return {
    ok: true,
    expression: {
      text,
      type: root.type,
      logicalType: root.logical ?? logicalTypeOf(root.type),
      columns: [...referenced],
      evaluate: (row: Row) => fn(row),
    },
  };
}

/** Like `compile`, but throws the ExpressionError. */
export function compileOrThrow(
  text: string,
  columns: ReadonlyArray<string | ColumnBinding>,
  options?: CompileOptions,
): CompiledExpression {
  const result = compile(text, columns, options);
  if (!result.ok) throw result.error;
  return result.expression;
}

function isNumeric(type: ExprType): boolean {
  return type === 'number' || type === 'any' || type === 'null';
}

function isBooleanish(type: ExprType): boolean {
  return type === 'boolean' || type === 'any' || type === 'null';
}

/** A date literal compared with a date: parsed once, not per row. */
function dateConstant(side: Typed, mode: CompareMode): Evaluator | undefined {
  const value = side.constant?.value;
  if (mode !== 'date' || typeof value !== 'string') return undefined;
  const date = parseTimestamp(value);
  return date ? () => date : undefined;
}

function arithmetic(op: ArithmeticOperator): (x: number, y: number) => number {
  switch (op) {
    case '+':
      return (x, y) => x + y;
    case '-':
      return (x, y) => x - y;
    case '*':
      return (x, y) => x * y;
    case '/':
      return (x, y) => {
        if (y === 0) throw new EvaluationError('division by zero');
        return x / y;
      };
    case '%':
      return (x, y) => {
        if (y === 0) throw new EvaluationError('division by zero');
        return x % y;
      };
  }
}

function comparisonTest(op: ComparisonOperator): (c: number) => boolean {
  switch (op) {
    case '=':
      return (c) => c === 0;
    case '!=':
      return (c) => c !== 0;
    case '<':
      return (c) => c < 0;
    case '<=':
      return (c) => c <= 0;
    case '>':
      return (c) => c > 0;
    case '>=':
      return (c) => c >= 0;
  }
}

/** The closest column name (case-insensitive, small edit distance), for "did you mean". */
function suggest(name: string, bindings: readonly ColumnBinding[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const b of bindings) {
    const d = editDistance(lower, b.name.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = b.name;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3 || a.length > 64 || b.length > 64) return Number.MAX_SAFE_INTEGER;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
