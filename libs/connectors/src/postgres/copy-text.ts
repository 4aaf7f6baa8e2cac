import { StringDecoder } from 'node:string_decoder';
import type { LogicalType } from '@aoe/contracts';
import type { Value } from '../connector';

/**
 * PostgreSQL's COPY text format: one line per row, fields separated by a tab,
 * NULL as `\N`, and backslash, tab, newline and carriage return escaped.
 * https://www.postgresql.org/docs/15/sql-copy.html#id-1.9.3.55.9.2
 */

/** A value as the text PostgreSQL parses for a column, or null for SQL NULL. */
export type FieldEncoder = (value: unknown) => string | null;
/** The text of one non-NULL field (already unescaped) as a value. */
export type FieldDecoder = (text: string) => Value;

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPE_OF: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function escapeCopyText(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ESCAPE_OF[c]) : text;
}

export const COPY_NULL = '\\N';

/** A COPY field: the escaped text, or `\N`. */
export function copyField(text: string | null): string {
  return text === null ? COPY_NULL : escapeCopyText(text);
}

export function unescapeCopyText(field: string): string {
  if (!field.includes('\\')) return field;
  let out = '';
  for (let i = 0; i < field.length; i++) {
    const c = field[i];
    if (c !== '\\' || i === field.length - 1) {
      out += c;
      continue;
    }
    const next = field[++i];
    switch (next) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x': {
        const hex = /^[0-9a-fA-F]{1,2}/.exec(field.slice(i + 1))?.[0];
        if (hex) {
          out += String.fromCharCode(parseInt(hex, 16));
          i += hex.length;
        } else out += next;
        break;
      }
      default:
        if (next >= '0' && next <= '7') {
          const octal = /^[0-7]{1,3}/.exec(field.slice(i))![0];
          out += String.fromCharCode(parseInt(octal, 8));
          i += octal.length - 1;
        } else out += next;
    }
  }
  return out;
}

/** Splits COPY text output into lines across chunk boundaries (and UTF-8 sequences split between chunks). */
export class CopyLineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  push(chunk: Buffer): string[] {
    const text = this.pending + this.decoder.write(chunk);
    const lines: string[] = [];
    let start = 0;
    let end: number;
    while ((end = text.indexOf('\n', start)) !== -1) {
      lines.push(text.slice(start, end));
      start = end + 1;
    }
    this.pending = text.slice(start);
    return lines;
  }

  /** What is left when the stream ends: a last line without its newline, if any. */
  end(): string[] {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest === '' ? [] : [rest];
  }
}

/** One COPY text line as field texts (unescaped), null for `\N`. */
export function splitCopyLine(line: string): Array<string | null> {
  return line.split('\t').map((field) => (field === COPY_NULL ? null : unescapeCopyText(field)));
}

// ---------------------------------------------------------------- encoding

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** The hour most recently formatted (in ms since the epoch / 3.6e6) and its `YYYY-MM-DDTHH:` text. */
let cachedHour = Number.NaN;
let cachedHourText = '';

/**
 * `YYYY-MM-DDTHH:MM:SS.mmm` in UTC, as toISOString() without the `Z`. Rows of
 * a batch tend to share their hour, so only minutes, seconds and milliseconds
 * are formatted per value; toISOString() costs more than the rest of a row.
 */
export function isoMillis(date: Date): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError('Invalid time value');
  const hour = Math.floor(ms / 3_600_000);
  if (hour !== cachedHour) {
    const iso = date.toISOString();
    // Years beyond 0000–9999 (±YYYYYY) are left to toISOString().
    if (iso.length !== 24) return iso.slice(0, -1);
    cachedHour = hour;
    cachedHourText = iso.slice(0, 14);
  }
  const rest = ms - hour * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  const seconds = Math.floor((rest - minutes * 60_000) / 1000);
  return `${cachedHourText}${pad2(minutes)}:${pad2(seconds)}.${pad3(rest % 1000)}`;
}

const isoUtc = (d: Date) => `${isoMillis(d)}Z`;
/** A timestamp without time zone carries the UTC wall-clock time, as the source decoder produced it. */
const isoWallClock = isoMillis;
const isoDate = (d: Date) => isoMillis(d).slice(0, 10);

function scalarText(value: unknown, dateText: (d: Date) => string): string | null {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object':
      if (value instanceof Date) return dateText(value);
      if (value instanceof Uint8Array) return `\\x${hexOf(value)}`;
      return JSON.stringify(value);
    case 'function':
    case 'symbol':
    case 'undefined':
      break;
  }
  throw new TypeError(`a ${typeof value} cannot be stored`);
}

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A string in a JSON column is JSON text when it parses as JSON (that is how
 * sources hand over JSON scalars and how CSV carries JSON); otherwise it is a
 * JSON string.
 */
function jsonText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return isJsonText(value) ? value : JSON.stringify(value);
  if (value instanceof Uint8Array) return JSON.stringify(`\\x${hexOf(value)}`);
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? null;
}

/** How a value is written into a column of a logical type, as the text PostgreSQL parses. */
export function fieldEncoder(type: LogicalType): FieldEncoder {
  switch (type) {
    case 'json':
      return jsonText;
    case 'timestamp':
      return (value) => scalarText(value, isoWallClock);
    case 'date':
      return (value) => scalarText(value, isoDate);
    case 'string':
    case 'integer':
    case 'bigint':
    case 'number':
    case 'decimal':
    case 'boolean':
    case 'timestamptz':
    case 'binary':
      return (value) => scalarText(value, isoUtc);
  }
}

// ---------------------------------------------------------------- decoding

const TIMESTAMP =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?|Z)?$/;

/**
 * A timestamp as PostgreSQL prints it (DateStyle ISO): a Date when a Date
 * holds it exactly, otherwise (microseconds, BC, infinity) the ISO text, so no
 * precision is lost.
 */
export function parseTimestamp(text: string, withZone: boolean): Date | string {
  return fastTimestamp(text, withZone) ?? slowTimestamp(text, withZone);
}

/**
 * The common shapes (`YYYY-MM-DD HH:MM:SS[.ffffff][+00]`, years 1000 to 9999)
 * by character position: a regex and a Date per value cost more than the rest
 * of a COPY read. Undefined for anything else.
 */
function fastTimestamp(text: string, withZone: boolean): Date | string | undefined {
  const n = text.length;
  if (n < 19 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const separator = text.charCodeAt(10);
  if (separator !== 32 && separator !== 84) return undefined;
  let i = 19;
  let fraction = '';
  if (i < n && text.charCodeAt(i) === 46) {
    const start = ++i;
    while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i === start || i - start > 6) return undefined;
    fraction = text.slice(start, i);
  }
  const zone = i === n ? '' : text.slice(i);
  if (zone !== '' && zone !== '+00' && zone !== 'Z') return undefined;
  const year = Number(text.slice(0, 4));
  if (!(year >= 1000)) return undefined;
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  const hour = Number(text.slice(11, 13));
  const minute = Number(text.slice(14, 16));
  const second = Number(text.slice(17, 19));
  // Out-of-range fields (never printed by PostgreSQL) go to the checked path instead of rolling over.
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59)) {
    return undefined;
  }
  if (day > 28 && new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined;
  const micros = fraction.padEnd(6, '0');
  if (micros.endsWith('000')) {
    return new Date(Date.UTC(year, month - 1, day, hour, minute, second, Number(micros.slice(0, 3))));
  }
  const iso = `${text.slice(0, 10)}T${text.slice(11, 19)}.${micros}`;
  return withZone ? `${iso}Z` : iso;
}

function slowTimestamp(text: string, withZone: boolean): Date | string {
  const m = TIMESTAMP.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s, fraction = '', sign, oh = '0', om = '0', os = '0'] = m;
  const micros = fraction.padEnd(6, '0');
  const year = Number(y);
  const base = new Date(
    Date.UTC(2000, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(micros.slice(0, 3))),
  );
  base.setUTCFullYear(year);
  // A field out of range would roll over into the next one: not a timestamp PostgreSQL printed.
  if (base.getUTCMonth() !== Number(mo) - 1 || base.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59) {
    return text;
  }
  const offsetSeconds = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os)) : 0;
  const ms = base.getTime() - offsetSeconds * 1000;
  if (Number.isNaN(ms) || year > 9999) return text;
  const exact = micros.endsWith('000');
  if (exact) return new Date(ms);
  const iso = new Date(ms).toISOString();
  return withZone ? `${iso.slice(0, 23)}${micros.slice(3)}Z` : `${iso.slice(0, 23)}${micros.slice(3)}`;
}

function parseBytea(text: string): Uint8Array {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex');
  // bytea_output = escape: octal escapes and doubled backslashes
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      if (text[i + 1] === '\\') {
        bytes.push(0x5c);
        i++;
      } else {
        bytes.push(parseInt(text.slice(i + 1, i + 4), 8));
        i += 3;
      }
    } else bytes.push(...Buffer.from(text[i], 'utf8'));
  }
  return Buffer.from(bytes);
}

function parseJson(text: string): Value {
  const first = text.trimStart()[0];
  // Objects and arrays become values; a JSON scalar stays JSON text (see jsonText).
  return first === '{' || first === '[' ? (JSON.parse(text) as Value) : text;
}

function parseBigint(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** How the text of a column of a logical type becomes a value. */
export function fieldDecoder(type: LogicalType): FieldDecoder {
  switch (type) {
    case 'integer':
    case 'number':
      return Number;
    case 'bigint':
      return parseBigint;
    case 'boolean':
      return (text) => text === 't' || text === 'true';
    case 'timestamp':
      return (text) => parseTimestamp(text, false);
    case 'timestamptz':
      return (text) => parseTimestamp(text, true);
    case 'json':
      return parseJson;
    case 'binary':
      return parseBytea;
    case 'string':
    case 'decimal':
    case 'date':
      return (text) => text;
  }
}
