import { isAscii } from 'node:buffer';
import type { ColumnSchema } from '../connector';
import { CAST_DOUBT, CsvFieldChecker, FIELD_OK, RULE_DOUBT, type FieldCheck } from '../formats/csv-field-checks';
import { PassThroughRejected, type PassThroughReader } from '../pass-through';
import type { StagedTransform } from '../staged-transform';
import { bytePatternFor } from './byte-patterns';
import { sqlCastFor } from './sql-casts';

export interface FieldCheckerOptions {
  /**
   * For a typed COPY (the CSV straight into columns of the cast types,
   * TimeZone UTC): each cast column gets its stricter `typed` guard, and a
   * NULL in a dedupe key column is in doubt (a unique index, unlike
   * `DISTINCT ON`, does not take NULLs as equal). Any doubt means the typed
   * COPY cannot be used.
   */
  typed?: boolean;
}

/**
 * The text of a field whose bytes are all ASCII (so that latin1 and UTF-8
 * read them alike), or undefined: a slice of its chunk's text, decoded once
 * per chunk (cheaper than a string per field); the chunk checked for ASCII
 * once.
 */
function asciiFieldText(): (bytes: Uint8Array, start: number, end: number) => string | undefined {
  let chunk: Uint8Array | undefined;
  let chunkText = '';
  let chunkAscii = false;
  return (bytes, start, end) => {
    if (bytes !== chunk) {
      chunk = bytes;
      chunkAscii = isAscii(bytes);
      chunkText = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    }
    if (!chunkAscii) for (let i = start; i < end; i++) if (bytes[i] >= 0x80) return undefined;
    return chunkText.slice(start, end);
  };
}

type Pattern = StagedTransform['patterns'][number];

/**
 * A text column's pattern rules, on text that reads the same in latin1 and
 * UTF-8: byte matchers where there are, else the rule's own regular
 * expression. With a byte matcher, it refuses `separators` too (text that
 * holds one is no unquoted field).
 */
function patternCheck(
  patterns: readonly Pattern[],
  separators: string,
  asciiText: (bytes: Uint8Array, start: number, end: number) => string | undefined,
): Pick<FieldCheck, 'accepts' | 'refusesSeparators'> {
  if (patterns.length === 0) return { accepts: () => true };
  const matches = patterns.length === 1 ? bytePatternFor(patterns[0].regex, separators) : undefined;
  if (matches !== undefined) {
    const maxInput = patterns[0].maxInput;
    return {
      accepts: (bytes, start, end) => end - start <= maxInput && matches(bytes, start, end),
      refusesSeparators: true,
    };
  }
  const tests = patterns.map((p) => ({ regex: new RegExp(p.regex), maxInput: p.maxInput }));
  return {
    accepts: (bytes, start, end) => {
      const text = asciiText(bytes, start, end);
      if (text === undefined) return false;
      for (const t of tests) if (text.length > t.maxInput || !t.regex.test(text)) return false;
      return true;
    },
  };
}

/**
 * The field checks of a transform, per column of the data: a cast column's
 * guard (and its not-null rule), a text column's not-null and pattern rules.
 * Fed by a scan of the CSV (`checkReaderFields`).
 */
export function fieldChecker(
  columns: readonly ColumnSchema[],
  transform: StagedTransform,
  format: { delimiter: string },
  options: FieldCheckerOptions = {},
): CsvFieldChecker {
  const typed = options.typed === true;
  const asciiText = asciiFieldText();
  const separators = `${format.delimiter}"\r\n`;
  const checks = columns.map((column): FieldCheck | undefined => {
    const to = transform.casts.find((c) => c.column === column.name)?.to;
    const notNull = transform.notNull.includes(column.name);
    const keyNull = typed && (transform.dedupeKey ?? []).includes(column.name);
    const patterns = transform.patterns.filter((p) => p.column === column.name);
    if (to === undefined && !notNull && !keyNull && patterns.length === 0) return undefined;
    const onNull = keyNull ? CAST_DOUBT : notNull ? RULE_DOUBT : FIELD_OK;
    if (to !== undefined) {
      const cast = sqlCastFor(to)!;
      const guard = typed ? cast.typed : cast;
      return {
        onNull,
        onQuoted: CAST_DOUBT,
        accepts: guard.acceptsBytes,
        onRejected: CAST_DOUBT,
        refusesSeparators: guard.charset !== undefined && ![...separators].some((c) => guard.charset!.includes(c)),
      };
    }
    // (A quoted field is never NULL, but the row path may read it otherwise: the rules judge it.)
    const rules = notNull || patterns.length > 0;
    return {
      onNull,
      onQuoted: rules ? RULE_DOUBT : FIELD_OK,
      ...patternCheck(patterns, separators, asciiText),
      onRejected: patterns.length > 0 ? RULE_DOUBT : FIELD_OK,
    };
  });
  return new CsvFieldChecker(checks);
}

/** Has the reader's own scan hand `checker` its fields; a reader that cannot refuses the fast path. */
export function checkReaderFields(reader: PassThroughReader, checker: CsvFieldChecker): CsvFieldChecker {
  if (!reader.checkFields) throw new PassThroughRejected('the reader cannot check its fields');
  reader.checkFields(checker);
  return checker;
}
