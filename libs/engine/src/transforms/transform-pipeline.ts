import type { TransformOp } from '@aoe/contracts';
import type { ColumnSchema, Row } from '@aoe/connectors';
import { compile } from '../expression/compiler';
import { EvaluationError, ExpressionError } from '../expression/expression-error';
import type { ExpressionLimits } from '../expression/parser';
import { CastError, PlanError, ResourceLimitError, type PlanProblem, type RowFailure } from '../errors';
import { keyOf } from '../values';
import { castValue } from './cast';
import { masker, type MaskOptions } from './mask';

export interface TransformOptions extends MaskOptions {
  /** Distinct keys `dedupe` may remember in one run before the task stops (memory bound). Default 5,000,000. */
  maxDistinctKeys?: number;
  expressionLimits?: Partial<ExpressionLimits>;
}

export interface TransformOutput {
  rows: Row[];
  positions: string[];
  /** Rows a cast or an expression could not handle, with the source row and the reason. */
  failures: RowFailure[];
  /** Rows removed by `filter`. */
  filtered: number;
  /** Rows removed by `dedupe`. */
  duplicates: number;
}

/** A compiled op list: the output schema is known before the first row, and each batch is one pass over its rows. */
export interface TransformPipeline {
  readonly inputColumns: readonly ColumnSchema[];
  readonly outputColumns: readonly ColumnSchema[];
  /** True when the op list is empty: batches pass through untouched. */
  readonly identity: boolean;
  /** Applies the ops to one batch. Keeps `dedupe` state across calls: one pipeline per run. */
  apply(rows: readonly Row[], positions: readonly string[]): TransformOutput;
}

/** A column as the ops see it: its schema name and type, and the row property that holds its value. */
interface LiveColumn extends ColumnSchema {
  key: string;
}

const KEEP = 0;
const DROP_FILTER = 1;
const DROP_DUPLICATE = 2;
/** One compiled op: mutates the working row in place, or says to drop it; row-level failures throw. */
type Step = (row: Row) => number;

/**
 * Compiles a TransformOp list against the input columns, reporting every
 * problem (unknown columns, invalid expressions, name clashes) at once as a
 * PlanError. Renames are free (a column keeps its row property, only its
 * name changes); one projection at the end builds the output row.
 */
export function compileTransforms(
  ops: readonly TransformOp[],
  inputColumns: readonly ColumnSchema[],
  options: TransformOptions = {},
): TransformPipeline {
  const problems: PlanProblem[] = [];
  let live: LiveColumn[] = inputColumns.map((c) => ({ ...c, key: c.name }));
  const steps: Step[] = [];
  let mutates = false;
  let reshapes = false;
  const maxKeys = options.maxDistinctKeys ?? 5_000_000;

  const find = (where: string, name: string): LiveColumn | undefined => {
    const column = live.find((c) => c.name === name);
    if (!column) {
      problems.push({
        where,
        message: `unknown column "${name}" (columns: ${live.map((c) => c.name).join(', ')})`,
        unknownColumn: true,
      });
    }
    return column;
  };
  const freshKey = (name: string): string => {
    const used = new Set(live.map((c) => c.key));
    if (!used.has(name)) return name;
    for (let i = 1; ; i++) if (!used.has(`${name}\u0000${i}`)) return `${name}\u0000${i}`;
  };

  ops.forEach((op, index) => {
    const where = `transform #${index + 1} (${op.op})`;
    switch (op.op) {
      case 'select': {
        const seen = new Set<string>();
        const next: LiveColumn[] = [];
        for (const name of op.columns) {
          if (seen.has(name)) {
            problems.push({ where, message: `column "${name}" is selected twice` });
            continue;
          }
          seen.add(name);
          const column = find(where, name);
          if (column) next.push(column);
        }
        live = next;
        reshapes = true;
        break;
      }
      case 'rename': {
        const column = find(where, op.from);
        if (!column) break;
        if (op.to !== op.from && live.some((c) => c.name === op.to)) {
          problems.push({ where, message: `cannot rename "${op.from}" to "${op.to}": a column "${op.to}" exists` });
          break;
        }
        live = live.map((c) => (c === column ? { ...c, name: op.to } : c));
        reshapes = true;
        break;
      }
      case 'cast': {
        const column = find(where, op.column);
        if (!column) break;
        const { key, name } = column;
        const to = op.to;
        const reason = `${where}: cannot cast "${name}" to ${to}`;
        steps.push((row) => {
          try {
            row[key] = castValue(row[key] ?? null, to);
          } catch (error) {
            if (error instanceof CastError) throw new CastError(`${reason}: ${error.message}`);
            throw error;
          }
          return KEEP;
        });
        live = live.map((c) => (c === column ? { ...c, type: to } : c));
        mutates = true;
        break;
      }
      case 'filter': {
        const result = compile(op.expr, live, { expect: 'boolean', limits: options.expressionLimits });
        if (!result.ok) {
          problems.push(expressionProblem(where, result.error));
          break;
        }
        const evaluate = result.expression.evaluate;
        steps.push((row) => {
          try {
            return evaluate(row) === true ? KEEP : DROP_FILTER;
          } catch (error) {
            throw rowError(where, error);
          }
        });
        break;
      }
      case 'derive': {
        const result = compile(op.expr, live, { limits: options.expressionLimits });
        if (!result.ok) {
          problems.push(expressionProblem(where, result.error));
          break;
        }
        const existing = live.find((c) => c.name === op.column);
        const key = existing ? existing.key : freshKey(op.column);
        const evaluate = result.expression.evaluate;
        steps.push((row) => {
          try {
            row[key] = evaluate(row);
          } catch (error) {
            throw rowError(where, error);
          }
          return KEEP;
        });
        const column: LiveColumn = { name: op.column, type: result.expression.logicalType, nullable: true, key };
        live = existing ? live.map((c) => (c === existing ? column : c)) : [...live, column];
        mutates = true;
        if (key !== op.column || !existing) reshapes = true;
        break;
      }
      case 'dedupe': {
        const columns = op.key.map((name) => find(where, name));
        if (columns.some((c) => c === undefined)) break;
        const keys = (columns as LiveColumn[]).map((c) => c.key);
        const seen = new Set<string>();
        steps.push((row) => {
          const k = keyOf(row, keys);
          if (seen.has(k)) return DROP_DUPLICATE;
          if (seen.size >= maxKeys) {
            throw new ResourceLimitError(
              `${where}: more than ${maxKeys} distinct keys in one run; raise maxDistinctKeys or dedupe in the target (merge mode)`,
            );
          }
          seen.add(k);
          return KEEP;
        });
        break;
      }
      case 'mask': {
        const column = find(where, op.column);
        if (!column) break;
        const { key } = column;
        const mask = masker(op.style, options);
        steps.push((row) => {
          row[key] = mask(row[key] ?? null);
          return KEEP;
        });
        live = live.map((c) => (c === column ? { ...c, type: 'string' } : c));
        mutates = true;
        break;
      }
    }
  });

  if (problems.length > 0) throw new PlanError(problems);

  const outputColumns: ColumnSchema[] = live.map(({ key: _key, ...column }) => column);
  const outNames = live.map((c) => c.name);
  const outKeys = live.map((c) => c.key);
  const width = outNames.length;
  const project = reshapes
    ? (row: Row): Row => {
        const out: Row = {};
        for (let i = 0; i < width; i++) {
          const value = row[outKeys[i]];
          out[outNames[i]] = value === undefined ? null : value;
        }
        return out;
      }
    : undefined;
  const stepCount = steps.length;

  return {
    inputColumns,
    outputColumns,
    identity: ops.length === 0,
    apply(rows, positions) {
      const outRows: Row[] = [];
      const outPositions: string[] = [];
      const failures: RowFailure[] = [];
      let filtered = 0;
      let duplicates = 0;
      for (let r = 0; r < rows.length; r++) {
        const source = rows[r];
        const row = mutates ? { ...source } : source;
        let verdict = KEEP;
        try {
          for (let s = 0; s < stepCount && verdict === KEEP; s++) verdict = steps[s](row);
        } catch (error) {
          if (!(error instanceof CastError || error instanceof EvaluationError)) throw error;
          failures.push({ position: positions[r], reason: error.message, row: source, stage: 'transform' });
          continue;
        }
        if (verdict === DROP_FILTER) filtered++;
        else if (verdict === DROP_DUPLICATE) duplicates++;
        else {
          outRows.push(project ? project(row) : row);
          outPositions.push(positions[r]);
        }
      }
      return { rows: outRows, positions: outPositions, failures, filtered, duplicates };
    },
  };
}

function expressionProblem(where: string, error: ExpressionError): PlanProblem {
  return {
    where,
    message: `${error.message} in ${JSON.stringify(error.expression)}`,
    unknownColumn: error.onlyUnknownColumns,
  };
}

function rowError(where: string, error: unknown): unknown {
  if (error instanceof EvaluationError) return new EvaluationError(`${where}: ${error.message}`);
  return error;
}
