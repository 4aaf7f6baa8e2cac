import type { LogicalType } from '@aoe/contracts';
import type { ColumnSchema } from '../connector';
import { ConnectorError } from '../connector-error';
import type { CatalogColumn } from './pg-catalog';
import { quoteIdent } from './pg-identifiers';
import { pgTypeFor, targetAccepts } from './pg-types';

/** What a load changes in its target table before publishing. */
export interface SchemaChange {
  /** The table does not exist yet. */
  create: boolean;
  add: ColumnSchema[];
  /** Existing columns whose type changes (only with schemaEvolution 'any'). */
  retype: Array<{ name: string; from: string; to: LogicalType }>;
  /** Existing columns the data no longer has (only with schemaEvolution 'any'). */
  drop: string[];
}

export function isNoChange(change: SchemaChange): boolean {
  return !change.create && change.add.length === 0 && change.retype.length === 0 && change.drop.length === 0;
}

/**
 * Compares the target with the data. Additive evolution adds missing columns
 * and accepts wider target types; anything else is schema drift, unless the
 * policy is 'any', which retypes and drops.
 */
export function planSchemaChange(
  target: readonly CatalogColumn[] | undefined,
  incoming: readonly ColumnSchema[],
  evolution: 'additive' | 'any',
  tableName: string,
): SchemaChange {
  if (target === undefined) return { create: true, add: [...incoming], retype: [], drop: [] };
  const existing = new Map(target.map((c) => [c.name, c]));
  const names = new Set(incoming.map((c) => c.name));
  const change: SchemaChange = { create: false, add: [], retype: [], drop: [] };
  const problems: string[] = [];
  for (const column of incoming) {
    const current = existing.get(column.name);
    if (!current) change.add.push(column);
    else if (!targetAccepts(current.logical, column.type)) {
      if (evolution === 'any') change.retype.push({ name: column.name, from: current.declared, to: column.type });
      else problems.push(`column "${column.name}" is ${current.declared} in the target but ${column.type} in the data`);
    }
  }
  for (const column of target) {
    if (names.has(column.name)) continue;
    if (evolution === 'any') change.drop.push(column.name);
    else if (column.notNull && !column.filledByServer) {
      problems.push(`column "${column.name}" is NOT NULL in the target and missing from the data`);
    }
  }
  if (problems.length > 0) {
    throw new ConnectorError(
      'schema-drift',
      `${tableName} does not match the data (schemaEvolution 'additive' only adds columns): ${problems.join('; ')}`,
    );
  }
  return change;
}

function usingExpression(column: string, to: LogicalType): string {
  const q = quoteIdent(column);
  return to === 'json' ? `to_jsonb(${q})` : `${q}::text::${pgTypeFor(to)}`;
}

/** The DDL of a change, as statements to run in the publishing transaction. */
export function schemaChangeStatements(
  table: string,
  change: SchemaChange,
  primaryKey: readonly string[] | undefined,
): string[] {
  if (change.create) {
    const columns = change.add.map((c) => `${quoteIdent(c.name)} ${pgTypeFor(c.type)}`);
    if (primaryKey && primaryKey.length > 0) columns.push(`PRIMARY KEY (${primaryKey.map(quoteIdent).join(', ')})`);
    return [`CREATE TABLE ${table} (${columns.join(', ')})`];
  }
  const actions = [
    ...change.drop.map((name) => `DROP COLUMN ${quoteIdent(name)}`),
    ...change.retype.map(
      (r) => `ALTER COLUMN ${quoteIdent(r.name)} TYPE ${pgTypeFor(r.to)} USING ${usingExpression(r.name, r.to)}`,
    ),
    ...change.add.map((c) => `ADD COLUMN ${quoteIdent(c.name)} ${pgTypeFor(c.type)}`),
  ];
  return actions.length === 0 ? [] : [`ALTER TABLE ${table} ${actions.join(', ')}`];
}
