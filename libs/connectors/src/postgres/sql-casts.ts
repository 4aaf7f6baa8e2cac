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
 *
 * Each guard comes as a regular expression on text (the reference) and as a
 * hand-written scanner on bytes, which the checker runs without making a
 * string per field.
 */

/**
 * A guard: true when the (unquoted, non-empty) field surely converts. Both
 * forms give the same answer (`sql-casts.spec.ts` runs them over a corpus).
 */
export interface CastGuard {
  /** On the field's latin1-decoded text. */
  accepts: (text: string) => boolean;
  /** On the field's bytes [start, end), without a string: any byte ≥ 0x80 fails (as its latin1 character does). */
  acceptsBytes: (bytes: Uint8Array, start: number, end: number) => boolean;
  /** Every text the guard accepts is made of these characters (undefined: any). */
  charset?: string;
}

export interface SqlCast extends CastGuard {
  /** The converted value of text column `v` (quoted), for accepted text only. */
  convert(v: string): string;
  /**
   * Stricter, for a typed COPY (the CSV COPYed straight into a column of
   * `pgTypeFor(type)`, TimeZone UTC): accepts only text on which the column
   * type's input function gives exactly what `convert` gives. Number: no
   * negative zero (`+ 0` makes it 0). Timestamps: no fraction digit other than
   * 0 after the milliseconds (`date_trunc` cuts them). Timestamp: no offset
   * other than zero (`timestamp` input ignores it; `convert` applies it).
   */
  typed: CastGuard;
}

const INT = /^[+-]?[0-9]{1,18}$/;
const INT32 = /^[+-]?[0-9]{1,10}$/;
const NUMBER = /^[+-]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})$/;
const DECIMAL = /^[+-]?[0-9]{1,1000}(\.[0-9]{1,1000})?$/;
const DATE = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;
/** Date, then optionally a time with seconds, up to microseconds, and a zone PostgreSQL accepts (±14:59 at most). */
const TIMESTAMP =
  /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)?$/;
const NEGATIVE_ZERO = /^-[0.]*$/;
/** A fraction digit other than 0 after the milliseconds. */
const SUB_MILLISECOND = /\.[0-9]{3}[0-9]*[1-9]/;
/** The offset after the seconds (and fraction) of a timestamp. */
const OFFSET = /:[0-9]{2}(\.[0-9]+)?[+-]([0-9:]+)$/;
const TRUE_TEXT = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const BOOLEAN_TEXT = new Set([...TRUE_TEXT, 'false', 'f', 'no', 'n', 'off', '0']);
const TRUE_SQL = `('true', 't', 'yes', 'y', 'on', '1')`;

/** The day of `text` (YYYY-MM-DD…) exists in its month, and the year is not 0000 (PostgreSQL has no year 0). */
function realDay(text: string): boolean {
  return dayExists(Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10)));
}

function dayExists(year: number, month: number, day: number): boolean {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year > 0 && day <= days;
}

const timestampText = (t: string): boolean => TIMESTAMP.test(t) && realDay(t);
const zeroOffset = (t: string): boolean => !/[1-9]/.test(OFFSET.exec(t)?.[2] ?? '');

// Byte guards: hand-written scanners equal to the regular expressions above.
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const COLON = 0x3a;

/** The digit at `i` (0–9), or -1. */
function digitAt(b: Uint8Array, i: number): number {
  const d = b[i] - 0x30;
  return d >= 0 && d <= 9 ? d : -1;
}

/** The two digits at `i` as a number, or -1. */
function twoDigits(b: Uint8Array, i: number): number {
  const hi = b[i] - 0x30;
  const lo = b[i + 1] - 0x30;
  return hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9 ? hi * 10 + lo : -1;
}

/** Past an optional sign at `s`. */
const afterSign = (b: Uint8Array, s: number): number => (b[s] === PLUS || b[s] === MINUS ? s + 1 : s);

/** Past the digits from `i` (before `e`). */
function skipDigits(b: Uint8Array, i: number, e: number): number {
  while (i < e && digitAt(b, i) >= 0) i++;
  return i;
}

/** `[+-]?[0-9]{1,max}` exactly. */
function signedDigits(b: Uint8Array, s: number, e: number, max: number): boolean {
  const from = afterSign(b, s);
  const to = skipDigits(b, from, e);
  return to === e && to > from && to - from <= max;
}

/** INT32 exactly, and within the range of `integer`. */
function int32Bytes(b: Uint8Array, s: number, e: number): boolean {
  const negative = b[s] === MINUS;
  let i = negative || b[s] === PLUS ? s + 1 : s;
  if (e - i < 1 || e - i > 10) return false;
  let value = 0;
  for (; i < e; i++) {
    const d = b[i] - 0x30;
    if (d < 0 || d > 9) return false;
    value = value * 10 + d;
  }
  return value <= (negative ? 2147483648 : 2147483647);
}

/** NUMBER exactly; with `noNegativeZero`, also not a negative zero. */
function numberBytes(b: Uint8Array, s: number, e: number, noNegativeZero: boolean): boolean {
  const from = afterSign(b, s);
  let i = skipDigits(b, from, e);
  const whole = i - from;
  if (whole > 30) return false;
  let fraction = -1;
  if (i < e && b[i] === DOT) {
    const f = i + 1;
    i = skipDigits(b, f, e);
    fraction = i - f;
    if (fraction > 30) return false;
  }
  if (i !== e || (whole === 0 && fraction < 1)) return false;
  if (noNegativeZero && b[s] === MINUS) {
    for (let j = from; j < e; j++) if (b[j] !== 0x30 && b[j] !== DOT) return true;
    return false;
  }
  return true;
}

function decimalBytes(b: Uint8Array, s: number, e: number): boolean {
  const from = afterSign(b, s);
  let i = skipDigits(b, from, e);
  if (i === from || i - from > 1000) return false;
  if (i < e && b[i] === DOT) {
    const f = i + 1;
    i = skipDigits(b, f, e);
    if (i === f || i - f > 1000) return false;
  }
  return i === e;
}

/** The bytes at `s` spell lowercase ASCII `word`, in any case. */
function spells(b: Uint8Array, s: number, word: string): boolean {
  // `| 0x20` lowercases a letter; the other bytes it maps to are no letters.
  for (let j = 0; j < word.length; j++) if ((b[s + j] | 0x20) !== word.charCodeAt(j)) return false;
  return true;
}

/** BOOLEAN_TEXT in any case. */
function booleanBytes(b: Uint8Array, s: number, e: number): boolean {
  switch (e - s) {
    case 1: {
      const c = b[s];
      if (c === 0x30 || c === 0x31) return true;
      const lower = c | 0x20;
      return lower === 0x74 || lower === 0x66 || lower === 0x79 || lower === 0x6e; // t f y n
    }
    case 2:
      return spells(b, s, 'on') || spells(b, s, 'no');
    case 3:
      return spells(b, s, 'yes') || spells(b, s, 'off');
    case 4:
      return spells(b, s, 'true');
    case 5:
      return spells(b, s, 'false');
    default:
      return false;
  }
}

/** `YYYY-MM-DD` at `s`, a real calendar day after year 0. */
function dateAt(b: Uint8Array, s: number): boolean {
  const century = twoDigits(b, s);
  const year = twoDigits(b, s + 2);
  const month = twoDigits(b, s + 5);
  const day = twoDigits(b, s + 8);
  if (century < 0 || year < 0 || b[s + 4] !== MINUS || b[s + 7] !== MINUS) return false;
  return month >= 1 && month <= 12 && day >= 1 && dayExists(century * 100 + year, month, day);
}

/** Typed-COPY restrictions on a timestamp (see `SqlCast.typed`). */
const ANY_TIMESTAMP = 0;
const MILLISECONDS = 1;
const MILLISECONDS_ZERO_OFFSET = 2;

/** TIMESTAMP exactly (and a real day), with the restrictions of `mode`. */
function timestampBytes(b: Uint8Array, s: number, e: number, mode: number): boolean {
  if (e - s < 10 || !dateAt(b, s)) return false;
  if (e - s === 10) return true;
  const t = b[s + 10];
  if ((t !== 0x54 && t !== 0x20) || e - s < 19 || b[s + 13] !== COLON || b[s + 16] !== COLON) return false;
  const hour = twoDigits(b, s + 11);
  const minute = twoDigits(b, s + 14);
  const second = twoDigits(b, s + 17);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  let i = s + 19;
  if (i < e && b[i] === DOT) {
    const f = i + 1;
    i = skipDigits(b, f, e);
    if (i === f || i - f > 6) return false;
    if (mode !== ANY_TIMESTAMP) for (let j = f + 3; j < i; j++) if (b[j] !== 0x30) return false;
  }
  if (i === e) return true;
  if (b[i] === 0x5a) return i + 1 === e;
  if (b[i] !== PLUS && b[i] !== MINUS) return false;
  const zone = i;
  const hours = twoDigits(b, i + 1);
  if (hours < 0 || hours > 14 || i + 3 > e) return false;
  i += 3;
  if (i < e) {
    if (b[i] === COLON) i++;
    const minutes = twoDigits(b, i);
    if (minutes < 0 || minutes > 59 || i + 2 !== e) return false;
  }
  if (mode === MILLISECONDS_ZERO_OFFSET)
    for (let j = zone + 1; j < e; j++) if (b[j] > 0x30 && b[j] <= 0x39) return false;
  return true;
}

const guard = (
  accepts: (t: string) => boolean,
  acceptsBytes: CastGuard['acceptsBytes'],
  charset?: string,
): CastGuard => ({ accepts, acceptsBytes, charset });

const DIGITS = '0123456789';
const NUMERIC = `${DIGITS}+-.`;
const BOOLEAN_CHARS = '01truefalsynoTRUEFALSYNO';
const TIMESTAMP_CHARS = `${DIGITS}-T :.Z+`;

/** Milliseconds, as a JS Date holds the instant (the fraction is cut, not rounded, as `castValue` does). */
const instant = (v: string): string => `date_trunc('milliseconds', ${v}::timestamptz)`;

/** A cast whose typed-COPY guard is its own guard. */
function sameWhenTyped(g: CastGuard, convert: (v: string) => string): SqlCast {
  return { ...g, convert, typed: g };
}

const timestampGuard = guard(timestampText, (b, s, e) => timestampBytes(b, s, e, ANY_TIMESTAMP), TIMESTAMP_CHARS);

const CASTS: Partial<Record<LogicalType, SqlCast>> = {
  string: sameWhenTyped(
    guard(
      () => true,
      () => true,
    ),
    (v) => v,
  ),
  integer: sameWhenTyped(
    guard((t) => INT32.test(t) && Math.abs(Number(t)) <= 2147483647 + (t.startsWith('-') ? 1 : 0), int32Bytes, NUMERIC),
    (v) => `${v}::integer`,
  ),
  bigint: sameWhenTyped(
    guard(
      (t) => INT.test(t),
      (b, s, e) => signedDigits(b, s, e, 18),
      NUMERIC,
    ),
    (v) => `${v}::bigint`,
  ),
  number: {
    ...guard(
      (t) => NUMBER.test(t),
      (b, s, e) => numberBytes(b, s, e, false),
      NUMERIC,
    ),
    // `+ 0` turns -0 into 0, as String(-0) does on the row path.
    convert: (v) => `(${v}::double precision + 0)`,
    typed: guard(
      (t) => NUMBER.test(t) && !NEGATIVE_ZERO.test(t),
      (b, s, e) => numberBytes(b, s, e, true),
      NUMERIC,
    ),
  },
  decimal: sameWhenTyped(
    guard((t) => DECIMAL.test(t), decimalBytes, NUMERIC),
    (v) => `${v}::numeric`,
  ),
  boolean: sameWhenTyped(
    guard((t) => BOOLEAN_TEXT.has(t.toLowerCase()), booleanBytes, BOOLEAN_CHARS),
    (v) => `(lower(${v}) IN ${TRUE_SQL})`,
  ),
  date: sameWhenTyped(
    guard(
      (t) => DATE.test(t) && realDay(t),
      (b, s, e) => e - s === 10 && dateAt(b, s),
      `${DIGITS}-`,
    ),
    (v) => `${v}::date`,
  ),
  timestamp: {
    ...timestampGuard,
    convert: (v) => `${instant(v)}::timestamp`,
    typed: guard(
      (t) => timestampText(t) && !SUB_MILLISECOND.test(t) && zeroOffset(t),
      (b, s, e) => timestampBytes(b, s, e, MILLISECONDS_ZERO_OFFSET),
      TIMESTAMP_CHARS,
    ),
  },
  timestamptz: {
    ...timestampGuard,
    convert: instant,
    typed: guard(
      (t) => timestampText(t) && !SUB_MILLISECOND.test(t),
      (b, s, e) => timestampBytes(b, s, e, MILLISECONDS),
      TIMESTAMP_CHARS,
    ),
  },
};

/** The SQL cast from staged text to `type`, or undefined when the set-based path cannot cast to it (json, binary). */
export function sqlCastFor(type: LogicalType): SqlCast | undefined {
  return CASTS[type];
}
