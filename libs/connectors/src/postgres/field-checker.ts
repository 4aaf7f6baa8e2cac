import type { ColumnSchema } from '../connector';
import { CAST_DOUBT, CsvFieldChecker, FIELD_OK, RULE_DOUBT, type FieldCheck } from '../formats/csv-field-checks';
import type { StagedTransform } from '../staged-transform';
import { sqlCastFor } from './sql-casts';

/** Text whose latin1 and UTF-8 readings agree. */
const isAscii = (text: string): boolean => !/[^\p{ASCII}]/u.test(text);

/**
 * The field checks of a transform, per column of the data: a cast column's
 * guard (and its not-null rule), a text column's not-null and pattern rules.
 */
export function fieldChecker(
  columns: readonly ColumnSchema[],
  transform: StagedTransform,
  format: { delimiter: string; header: boolean },
): CsvFieldChecker {
  const checks = columns.map((column): FieldCheck | undefined => {
    const to = transform.casts.find((c) => c.column === column.name)?.to;
    const notNull = transform.notNull.includes(column.name);
    const patterns = transform.patterns.filter((p) => p.column === column.name);
    if (to === undefined && !notNull && patterns.length === 0) return undefined;
    const onNull = notNull ? RULE_DOUBT : FIELD_OK;
    if (to !== undefined) {
      const cast = sqlCastFor(to)!;
      return { onNull, onQuoted: CAST_DOUBT, onText: (text) => (cast.accepts(text) ? FIELD_OK : CAST_DOUBT) };
    }
    const tests = patterns.map((p) => ({ regex: new RegExp(p.regex), maxInput: p.maxInput }));
    return {
      onNull,
      onQuoted: RULE_DOUBT,
      // The rule's own regular expression, on text that reads the same in latin1 and UTF-8.
      onText:
        tests.length === 0
          ? () => FIELD_OK
          : (text) =>
              isAscii(text) && tests.every((t) => text.length <= t.maxInput && t.regex.test(text))
                ? FIELD_OK
                : RULE_DOUBT,
    };
  });
  return new CsvFieldChecker(format.delimiter, format.header, checks);
}
