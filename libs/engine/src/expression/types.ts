import type { LogicalType } from '@aoe/contracts';
import type { Row, Value } from '@aoe/connectors';

/** What the checker knows about a value: `any` when the schema does not say, `null` for the NULL literal. */
export type ExprType = 'string' | 'number' | 'boolean' | 'date' | 'json' | 'binary' | 'null' | 'any';

export function exprTypeOf(type: LogicalType | undefined): ExprType {
  switch (type) {
    case undefined:
      return 'any';
    case 'string':
      return 'string';
    case 'integer':
    case 'bigint':
    case 'number':
    case 'decimal':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return 'date';
    case 'json':
      return 'json';
    case 'binary':
      return 'binary';
  }
}

/** The column type a derived value gets when the expression does not carry one exactly. */
export function logicalTypeOf(type: ExprType): LogicalType {
  switch (type) {
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'timestamptz';
    case 'json':
      return 'json';
    case 'binary':
      return 'binary';
    case 'string':
    case 'null':
    case 'any':
      return 'string';
  }
}

/** A column an expression may reference: its name, its type when known, and the property it lives under in a row. */
export interface ColumnBinding {
  name: string;
  type?: LogicalType;
  /** The row property holding the value; the name itself when absent. */
  key?: string;
}

export type Evaluator = (row: Row) => Value;

export interface CompiledExpression {
  readonly text: string;
  readonly type: ExprType;
  /** The column type a `derive` of this expression produces. */
  readonly logicalType: LogicalType;
  /** Columns the expression reads, by schema name. */
  readonly columns: readonly string[];
  /** Evaluates over one row; throws EvaluationError for a row it cannot evaluate. */
  readonly evaluate: (row: Row) => Value;
}
