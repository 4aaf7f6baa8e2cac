import type { ValidationRule } from '@aoe/contracts';
import type { ExtractChoice } from './extract.rules';
import { nameWords, type ProfileFacts } from './profile-facts';

export interface ValidationChoice {
  rules: ValidationRule[];
  onFailure: 'fail' | 'quarantine';
  reasons: string[];
}

/** Safe for the engine's pattern check (no nested quantifiers), and strict enough to catch a shifted column. */
export const EMAIL_PATTERN = '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$';
/** A full read is expected to return between half and three times the estimate (plus slack for small sources). */
export const ROW_COUNT_LOW = 0.5;
export const ROW_COUNT_HIGH = 3;
export const ROW_COUNT_SLACK = 1_000;

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

export function chooseValidations(
  facts: ProfileFacts,
  extract: ExtractChoice,
  masked: ReadonlySet<string>,
  casts: number,
): ValidationChoice {
  const rules: ValidationRule[] = [];
  const reasons: string[] = [];
  const { key, profile } = facts;

  if (key) {
    for (const column of key.columns) rules.push({ rule: 'not-null', column });
    rules.push({ rule: 'unique', columns: key.columns });
    reasons.push(`Validation checks the key ${quoted(key.columns)} is present and unique.`);
  }
  const cursorColumn = extract.cursorColumn;
  const cursor = cursorColumn ? facts.columns.get(cursorColumn) : undefined;
  if (cursor && cursor.nullRate === 0 && !key?.columns.includes(cursor.name)) {
    rules.push({ rule: 'not-null', column: cursor.name });
    reasons.push(`"${cursor.name}" must not be null: a row without a cursor value would never be read again.`);
  }

  const emails = profile.columns.filter(
    (c) =>
      c.type === 'string' &&
      !masked.has(c.name) &&
      (c.piiHints.some((h) => h.kind === 'email') || nameWords(c.name).some((w) => w === 'email' || w === 'mail')),
  );
  for (const column of emails) rules.push({ rule: 'pattern', column: column.name, regex: EMAIL_PATTERN });
  if (emails.length > 0)
    reasons.push(`Email-like columns must look like addresses: ${quoted(emails.map((c) => c.name))}.`);

  const estimate = profile.rowCountEstimate;
  if (estimate > 0) {
    const max = Math.ceil(estimate * ROW_COUNT_HIGH) + ROW_COUNT_SLACK;
    if (extract.mode === 'full') {
      const min = Math.floor(estimate * ROW_COUNT_LOW);
      rules.push({ rule: 'row-count', min, max });
      reasons.push(
        `A run must load between ${min.toLocaleString('en-US')} and ${max.toLocaleString('en-US')} rows (estimate ${estimate.toLocaleString('en-US')}).`,
      );
    } else {
      rules.push({ rule: 'row-count', max });
      reasons.push(
        `An incremental run loads at most ${max.toLocaleString('en-US')} rows (estimate ${estimate.toLocaleString('en-US')} in all).`,
      );
    }
  }

  const onFailure = facts.untyped || casts > 0 ? 'quarantine' : 'fail';
  reasons.push(
    onFailure === 'quarantine'
      ? 'Rows that fail a cast or a rule are quarantined with their reason: values here are untyped or cast, so a few bad rows are expected.'
      : 'A row that fails a rule fails the run: a typed source should not produce one.',
  );
  return { rules, onFailure, reasons };
}
