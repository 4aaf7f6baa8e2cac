import type { Row, Value } from '../connector';

/**
 * Column names come from sources and can be anything, including names that
 * Object.prototype already has (`constructor`, `__proto__`): those are read
 * and written as own properties only.
 */
export function columnReader(name: string): (row: Row) => Value | undefined {
  if (!(name in Object.prototype)) return (row) => row[name];
  return (row) => (Object.prototype.hasOwnProperty.call(row, name) ? row[name] : undefined);
}

export function columnWriter(name: string): (row: Row, value: Value) => void {
  if (name !== '__proto__') {
    return (row, value) => {
      row[name] = value;
    };
  }
  return (row, value) => {
    Object.defineProperty(row, name, { value, enumerable: true, writable: true, configurable: true });
  };
}
