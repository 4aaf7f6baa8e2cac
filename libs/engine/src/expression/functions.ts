import type { Value } from '@aoe/connectors';
import { describeValue, numericValue, textOf } from '../values';
import { EvaluationError } from './expression-error';
import { charLength, numberOf, roundTo } from './runtime';
import type { Evaluator, ExprType } from './types';

export interface FunctionSpec {
  minArgs: number;
  maxArgs: number;
  /** What the function returns given its argument types; reports argument problems through `problem`. */
  check(args: ExprType[], problem: (argIndex: number, message: string) => void): ExprType;
  build(args: Evaluator[]): Evaluator;
}

const NUMERIC_OK = new Set<ExprType>(['number', 'any', 'null']);
const SCALAR_TEXT_OK = new Set<ExprType>(['string', 'number', 'boolean', 'date', 'any', 'null']);

function requireNumber(name: string, which: string) {
  return (type: ExprType, index: number, problem: (i: number, m: string) => void): void => {
    if (!NUMERIC_OK.has(type)) problem(index, `${name}() needs a number as its ${which} argument, got ${type}`);
  };
}

function textFunction(name: string, apply: (text: string) => Value): FunctionSpec {
  return {
    minArgs: 1,
    maxArgs: 1,
    check: (args, problem) => {
      if (!SCALAR_TEXT_OK.has(args[0])) problem(0, `${name}() needs text, got ${args[0]}`);
      return name === 'length' ? 'number' : 'string';
    },
    build:
      ([arg]) =>
      (row) => {
        const value = arg(row);
        return value === null ? null : apply(textOf(value));
      },
  };
}

function integerArg(value: Value, fn: string, what: string): number {
  const n = numberOf(value, `${fn}()`);
  if (!Number.isInteger(n))
    throw new EvaluationError(`${fn}(): ${what} must be an integer, got ${describeValue(value)}`);
  return n;
}

/** The whitelist. Deterministic functions only: no clock, no randomness, no I/O. */
export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  lower: textFunction('lower', (t) => t.toLowerCase()),
  upper: textFunction('upper', (t) => t.toUpperCase()),
  trim: textFunction('trim', (t) => t.trim()),
  length: textFunction('length', charLength),
  coalesce: {
    minArgs: 1,
    maxArgs: 32,
    check: (args, problem) => {
      let result: ExprType = 'null';
      args.forEach((type, i) => {
        if (type === 'null') return;
        if (result === 'null' || result === 'any') result = type === 'any' && result === 'any' ? 'any' : type;
        else if (type !== 'any' && type !== result)
          problem(i, `coalesce() arguments must share one type: ${result} and ${type}`);
      });
      return result;
    },
    build: (args) => (row) => {
      for (const arg of args) {
        const value = arg(row);
        if (value !== null) return value;
      }
      return null;
    },
  },
  concat: {
    minArgs: 1,
    maxArgs: 32,
    check: () => 'string',
    build: (args) => (row) => {
      let out = '';
      for (const arg of args) {
        const value = arg(row);
        if (value !== null) out += textOf(value);
      }
      return out;
    },
  },
  substr: {
    minArgs: 2,
    maxArgs: 3,
    check: (args, problem) => {
      if (!SCALAR_TEXT_OK.has(args[0])) problem(0, `substr() needs text, got ${args[0]}`);
      requireNumber('substr', 'start')(args[1], 1, problem);
      if (args.length > 2) requireNumber('substr', 'length')(args[2], 2, problem);
      return 'string';
    },
    build:
      ([textArg, startArg, countArg]) =>
      (row) => {
        const value = textArg(row);
        const startValue = startArg(row);
        const countValue = countArg ? countArg(row) : undefined;
        if (value === null || startValue === null || countValue === null) return null;
        const text = textOf(value);
        const start = integerArg(startValue, 'substr', 'start');
        const chars = /[\u0080-\uffff]/.test(text) ? Array.from(text) : text;
        const from = Math.max(start, 1);
        let to = chars.length + 1;
        if (countValue !== undefined) {
          const count = integerArg(countValue, 'substr', 'length');
          if (count < 0) throw new EvaluationError('substr(): negative substring length not allowed');
          to = Math.min(start + count, to);
        }
        if (to <= from) return '';
        return typeof chars === 'string' ? chars.slice(from - 1, to - 1) : chars.slice(from - 1, to - 1).join('');
      },
  },
  round: {
    minArgs: 1,
    maxArgs: 2,
    check: (args, problem) => {
      requireNumber('round', 'first')(args[0], 0, problem);
      if (args.length > 1) requireNumber('round', 'second')(args[1], 1, problem);
      return 'number';
    },
    build:
      ([valueArg, digitsArg]) =>
      (row) => {
        const value = valueArg(row);
        const digitsValue = digitsArg ? digitsArg(row) : 0;
        if (value === null || digitsValue === null) return null;
        const digits = integerArg(digitsValue, 'round', 'the number of digits');
        if (digits < -15 || digits > 15) throw new EvaluationError('round(): digits must be between -15 and 15');
        return roundTo(numberOf(value, 'round()'), digits);
      },
  },
  abs: {
    minArgs: 1,
    maxArgs: 1,
    check: (args, problem) => {
      requireNumber('abs', 'first')(args[0], 0, problem);
      return 'number';
    },
    build:
      ([arg]) =>
      (row) => {
        const value = arg(row);
        return value === null ? null : Math.abs(numberOf(value, 'abs()'));
      },
  },
  to_number: {
    minArgs: 1,
    maxArgs: 1,
    check: (args, problem) => {
      if (!new Set<ExprType>(['string', 'number', 'any', 'null']).has(args[0])) {
        problem(0, `to_number() needs text or a number, got ${args[0]}`);
      }
      return 'number';
    },
    build:
      ([arg]) =>
      (row) => {
        const value = arg(row);
        if (value === null) return null;
        const n = numericValue(value);
        if (n === undefined) throw new EvaluationError(`to_number(): ${describeValue(value)} is not a number`);
        return n;
      },
  },
};

/** Functions people ask for that are refused on purpose, with why. */
export const REFUSED_FUNCTIONS: Readonly<Record<string, string>> = {
  now: 'expressions must be deterministic; a rerun must produce the same rows',
  current_timestamp: 'expressions must be deterministic; a rerun must produce the same rows',
  current_date: 'expressions must be deterministic; a rerun must produce the same rows',
  random: 'expressions must be deterministic; a rerun must produce the same rows',
};
