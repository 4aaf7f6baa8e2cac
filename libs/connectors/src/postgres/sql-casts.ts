import type { LogicalType } from '@aoe/contracts';

/**
 * Casts from staged CSV text to a logical type, in SQL, for the set-based
 * path (`docs/engine.md`). PostgreSQL 15 has no cast that reports failure
 * instead of raising (`pg_input_is_valid` is 16+), and a guard in SQL (a
 * regular expression per value) costs more than the whole load. So each type
 * has a guard in JavaScript, run on the CSV bytes as they stream to COPY
 * (`CsvFieldChecker`): it accepts only canonical text on which the SQL
 * conversion cannot fail and gives exactly the value the engine's
 * `castValue` gives, as the row path would store it. Text the guard does not
 * accept never reaches `convert`: the engine judges it row by row with
 * `castValue` (quarantined with the row path's reason, or, when it does
 * convert, the task goes back to the row path).
 *
 * `convert` assumes the session's TimeZone is UTC (`SET LOCAL TimeZone`):
 * offset-less timestamps are UTC, as `castValue` reads them.
 */
export interface SqlCast {
  /** True when the (unquoted, non-empty, latin1-decoded) text surely converts. */
  accepts(text: string): boolean;
  /** The converted value of text column `v` (quoted), for accepted text only. */
  convert(v: string): string;
}

const INT = /^[+-]?[0-9]{1,18}$/;
const INT32 = /^[+-]?[0-9]{1,10}$/;
const NUMBER = /^[+-]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})$/;
const DECIMAL = /^[+-]?[0-9]{1,1000}(\.[0-9]{1,1000})?$/;
const DATE = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;
/** Date, then optionally a time with seconds, up to microseconds, and a zone PostgreSQL accepts (±14:59 at most). */
const TIMESTAMP =
  /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)?$/;
const TRUE_TEXT = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const BOOLEAN_TEXT = new Set([...TRUE_TEXT, 'false', 'f', 'no', 'n', 'off', '0']);
const TRUE_SQL = `('true', 't', 'yes', 'y', 'on', '1')`;

/** The day of `text` (YYYY-MM-DD…) exists in its month, and the year is not 0000 (PostgreSQL has no year 0). */
function realDay(text: string): boolean {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return year > 0 && day <= days;
}

/** Milliseconds, as a JS Date holds the instant (the fraction is cut, not rounded, as `castValue` does). */
const instant = (v: string): string => `date_trunc('milliseconds', ${v}::timestamptz)`;

const CASTS: Partial<Record<LogicalType, SqlCast>> = {
  string: { accepts: () => true, convert: (v) => v },
  integer: {
    accepts: (t) => INT32.test(t) && Math.abs(Number(t)) <= 2147483647 + (t.startsWith('-') ? 1 : 0),
    convert: (v) => `${v}::integer`,
  },
  bigint: { accepts: (t) => INT.test(t), convert: (v) => `${v}::bigint` },
  // `+ 0` turns -0 into 0, as String(-0) does on the row path.
  number: { accepts: (t) => NUMBER.test(t), convert: (v) => `(${v}::double precision + 0)` },
  decimal: { accepts: (t) => DECIMAL.test(t), convert: (v) => `${v}::numeric` },
  boolean: { accepts: (t) => BOOLEAN_TEXT.has(t.toLowerCase()), convert: (v) => `(lower(${v}) IN ${TRUE_SQL})` },
  date: { accepts: (t) => DATE.test(t) && realDay(t), convert: (v) => `${v}::date` },
  timestamp: { accepts: (t) => TIMESTAMP.test(t) && realDay(t), convert: (v) => `${instant(v)}::timestamp` },
  timestamptz: { accepts: (t) => TIMESTAMP.test(t) && realDay(t), convert: instant },
};

/** The SQL cast from staged text to `type`, or undefined when the set-based path cannot cast to it (json, binary). */
export function sqlCastFor(type: LogicalType): SqlCast | undefined {
  return CASTS[type];
}
