import type { ValidationRule } from '@aoe/contracts';
import type { ColumnSchema, Row } from '@aoe/connectors';
import { PlanError, ResourceLimitError, type PlanProblem, type RowFailure } from '../errors';
import { describeValue, hasNullIn, keyOf, numericValue, textOf } from '../values';
import { unsafePatternReasons } from './safe-pattern';

export interface ValidationOptions {
  /** Distinct keys a `unique` rule may remember in one run before the task stops (memory bound). Default 5,000,000. */
  maxDistinctKeys?: number;
  /** Longest pattern accepted. Default 500 (the plan contract's bound). */
  maxPatternLength?: number;
  /** Longest value a pattern is run against; longer values fail the rule. Default 10,000 characters. */
  maxPatternInput?: number;
}

export interface ValidationOutput {
  rows: Row[];
  positions: string[];
  /** Rows that broke at least one rule; each reason names every rule it broke. */
  failures: RowFailure[];
}

/** Compiled rules for one run; `unique` remembers keys across batches. */
export interface Validator {
  readonly empty: boolean;
  check(rows: readonly Row[], positions: readonly string[]): ValidationOutput;
  /** End-of-run rules (row-count) over the rows that passed; returns what is wrong, empty when all is well. */
  finish(rowsPassed: number): string[];
}

type RowCheck = (row: Row) => string | undefined;

/**
 * Compiles validation rules against the columns they will see (the transform
 * output). Unknown columns, unsafe or invalid patterns and empty ranges are
 * PlanErrors, found before the first row.
 */
export function compileValidation(
  rules: readonly ValidationRule[],
  columns: readonly ColumnSchema[],
  options: ValidationOptions = {},
): Validator {
  const problems: PlanProblem[] = [];
  const names = new Set(columns.map((c) => c.name));
  const rowChecks: RowCheck[] = [];
  const uniqueChecks: Array<{ columns: string[]; seen: Set<string>; where: string }> = [];
  const countChecks: Array<{ min?: number; max?: number }> = [];
  const maxKeys = options.maxDistinctKeys ?? 5_000_000;
  const maxPatternLength = options.maxPatternLength ?? 500;
  const maxInput = options.maxPatternInput ?? 10_000;

  const known = (where: string, column: string): boolean => {
    if (names.has(column)) return true;
    problems.push({
      where,
      message: `unknown column "${column}" (columns: ${[...names].join(', ')})`,
      unknownColumn: true,
    });
    return false;
  };

  rules.forEach((rule, index) => {
    const where = `validate rule #${index + 1} (${rule.rule})`;
    switch (rule.rule) {
      case 'not-null': {
        if (!known(where, rule.column)) break;
        const column = rule.column;
        rowChecks.push((row) => {
          const value = row[column];
          return value === null || value === undefined ? `not-null: "${column}" is null` : undefined;
        });
        break;
      }
      case 'unique': {
        if (!rule.columns.every((c) => known(where, c))) break;
        uniqueChecks.push({ columns: rule.columns, seen: new Set(), where });
        break;
      }
      case 'range': {
        if (!known(where, rule.column)) break;
        const { column, min, max } = rule;
        if (min === undefined && max === undefined) {
          problems.push({ where, message: 'give min, max or both' });
          break;
        }
        if (min !== undefined && max !== undefined && min > max) {
          problems.push({ where, message: `min ${min} is greater than max ${max}` });
          break;
        }
        const type = columns.find((c) => c.name === column)?.type;
        if (type && !['integer', 'bigint', 'number', 'decimal', 'string'].includes(type)) {
          problems.push({ where, message: `range applies to numbers; "${column}" is ${type}` });
          break;
        }
        const bounds = `[${min ?? '-inf'}, ${max ?? '+inf'}]`;
        rowChecks.push((row) => {
          const value = row[column];
          if (value === null || value === undefined) return undefined;
          const n = numericValue(value);
          if (n === undefined) return `range: "${column}" = ${describeValue(value)} is not a number`;
          if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
            return `range: "${column}" = ${describeValue(value)} is outside ${bounds}`;
          }
          return undefined;
        });
        break;
      }
      case 'pattern': {
        if (!known(where, rule.column)) break;
        if (rule.regex.length > maxPatternLength) {
          problems.push({
            where,
            message: `pattern is ${rule.regex.length} characters; the limit is ${maxPatternLength}`,
          });
          break;
        }
        const unsafe = unsafePatternReasons(rule.regex);
        if (unsafe.length > 0) {
          problems.push({ where, message: `unsafe pattern ${JSON.stringify(rule.regex)}: ${unsafe.join('; ')}` });
          break;
        }
        let regex: RegExp;
        try {
          regex = new RegExp(rule.regex);
        } catch (error) {
          problems.push({ where, message: `invalid pattern: ${(error as Error).message}` });
          break;
        }
        const column = rule.column;
        rowChecks.push((row) => {
          const value = row[column];
          if (value === null || value === undefined) return undefined;
          const text = textOf(value);
          if (text.length > maxInput)
            return `pattern: "${column}" is ${text.length} characters, longer than ${maxInput}`;
          return regex.test(text)
            ? undefined
            : `pattern: "${column}" = ${describeValue(value)} does not match /${rule.regex}/`;
        });
        break;
      }
      case 'row-count': {
        if (rule.min === undefined && rule.max === undefined) {
          problems.push({ where, message: 'give min, max or both' });
          break;
        }
        countChecks.push({ min: rule.min, max: rule.max });
        break;
      }
    }
  });

  if (problems.length > 0) throw new PlanError(problems);

  const checkCount = rowChecks.length;
  const empty = checkCount === 0 && uniqueChecks.length === 0;

  return {
    empty,
    check(rows, positions) {
      if (empty) return { rows: rows as Row[], positions: positions as string[], failures: [] };
      const out: Row[] = [];
      const outPositions: string[] = [];
      const failures: RowFailure[] = [];
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r];
        let reasons: string | undefined;
        for (let c = 0; c < checkCount; c++) {
          const reason = rowChecks[c](row);
          if (reason !== undefined) reasons = reasons === undefined ? reason : `${reasons}; ${reason}`;
        }
        // A key is claimed only by a row that passed every other rule: a quarantined row does not block a later good one.
        if (reasons === undefined) {
          for (const unique of uniqueChecks) {
            if (hasNullIn(row, unique.columns)) continue;
            const key = keyOf(row, unique.columns);
            if (unique.seen.has(key)) {
              const shown = unique.columns.map((c) => describeValue(row[c])).join(', ');
              const reason = `unique: duplicate (${unique.columns.map((c) => `"${c}"`).join(', ')}) = (${shown})`;
              reasons = reasons === undefined ? reason : `${reasons}; ${reason}`;
            }
          }
          if (reasons === undefined) {
            for (const unique of uniqueChecks) {
              if (hasNullIn(row, unique.columns)) continue;
              if (unique.seen.size >= maxKeys) {
                throw new ResourceLimitError(
                  `${unique.where}: more than ${maxKeys} distinct keys in one run; raise maxDistinctKeys or use a unique constraint in the target`,
                );
              }
              unique.seen.add(keyOf(row, unique.columns));
            }
          }
        }
        if (reasons === undefined) {
          out.push(row);
          outPositions.push(positions[r]);
        } else {
          failures.push({ position: positions[r], reason: reasons, row, stage: 'validate' });
        }
      }
      return { rows: out, positions: outPositions, failures };
    },
    finish(rowsPassed) {
      const wrong: string[] = [];
      for (const { min, max } of countChecks) {
        if (min !== undefined && rowsPassed < min)
          wrong.push(`row-count: ${rowsPassed} rows, expected at least ${min}`);
        if (max !== undefined && rowsPassed > max) wrong.push(`row-count: ${rowsPassed} rows, expected at most ${max}`);
      }
      return wrong;
    },
  };
}
