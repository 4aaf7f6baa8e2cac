import { InvalidSchemaNameError } from '../errors';

export const DEFAULT_SCHEMA = 'aoe';

/**
 * Lower case only, so a quoted and an unquoted mention name the same schema; `pg_`
 * is reserved by PostgreSQL. Anything else is refused rather than escaped.
 */
const SCHEMA_NAME = /^(?!pg_)[a-z_][a-z0-9_]{0,62}$/;

export function validateSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new InvalidSchemaNameError(schema);
  return schema;
}

/** A validated schema name as a quoted SQL identifier. */
export function quoteSchema(schema: string): string {
  return `"${validateSchemaName(schema)}"`;
}
