import { createHash } from 'node:crypto';
import { ConnectorError } from '../connector-error';

/** PostgreSQL keeps the first 63 bytes of a name (NAMEDATALEN - 1) and silently drops the rest. */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * A SQL identifier, double-quoted with every `"` doubled: the one way a name
 * from a source reaches SQL text. Keywords, spaces, quotes and semicolons all
 * stay part of the name.
 */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new ConnectorError('bug', 'an SQL identifier cannot be empty');
  if (name.includes('\u0000'))
    throw new ConnectorError('data-quality', 'an SQL identifier cannot contain a NUL character');
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"`, each part quoted; without a schema, the name alone. */
export function qualifiedName(schema: string | undefined, name: string): string {
  return schema === undefined || schema === '' ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * Refuses a name PostgreSQL would truncate: two long names could silently
 * become one column, and the truncated name would no longer match the data.
 */
export function assertIdentifierFits(name: string, what: string): void {
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    throw new ConnectorError(
      'schema-drift',
      `${what} "${name}" is longer than ${MAX_IDENTIFIER_BYTES} bytes, which PostgreSQL would truncate; rename it`,
    );
  }
}

/**
 * The staging table of one task of one run: stable across retries of the same
 * run (so a retry finds and drops what a crashed attempt left), distinct for
 * every run, task and target, and always within 63 bytes.
 */
export function stagingTableName(runId: string, taskId: string, target: { schema: string; name: string }): string {
  const slug = (value: string, length: number) =>
    value
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '')
      .slice(0, length);
  const digest = createHash('sha256')
    .update(JSON.stringify([runId, taskId, target.schema, target.name]))
    .digest('hex')
    .slice(0, 16);
  return `_aoe_stage_${slug(runId, 16)}_${slug(taskId, 12)}_${digest}`;
}
