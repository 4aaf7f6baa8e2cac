import { createHash } from 'node:crypto';
import type { ColumnStat } from '@aoe/store';

/** A stable hash of a schema: sha256 of the sorted `name:type` pairs (column order and null rates do not matter). */
export function schemaFingerprint(columns: ReadonlyArray<Pick<ColumnStat, 'name' | 'type'>>): string {
  const pairs = columns.map((c) => `${JSON.stringify(c.name)}:${c.type}`).sort();
  return createHash('sha256').update(pairs.join('\n')).digest('hex');
}
