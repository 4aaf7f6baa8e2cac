import type { Row, Value } from '../connector';

/**
 * Column names come from sources and can be anything, including names that
 * Object.prototype already has (`constructor`, `__proto__`): those are read
 * as own properties only, so a row without the column gives undefined, not
 * Object.prototype's member.
 */
export function columnReader(name: string): (row: Row) => Value | undefined {
  if (!(name in Object.prototype)) return (row) => row[name];
  return (row) => (Object.prototype.hasOwnProperty.call(row, name) ? row[name] : undefined);
}
