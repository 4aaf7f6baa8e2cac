import type { LoadMode } from '@aoe/contracts';
import type { ExtractChoice } from './extract.rules';
import type { ProfileFacts } from './profile-facts';

export interface LoadChoice {
  mode: LoadMode;
  primaryKey?: string[];
  reasons: string[];
}

const columnList = (columns: readonly string[]) => `(${columns.map((c) => `"${c}"`).join(', ')})`;

/**
 * merge on a key; append for immutable rows read incrementally without a key;
 * replace for everything else that is read whole (tiny snapshots first of all),
 * since without a key a full read appended again would duplicate every row.
 */
export function chooseLoad(facts: ProfileFacts, extract: ExtractChoice): LoadChoice {
  const { key, profile } = facts;
  if (key) {
    const evidence = key.confirmed
      ? 'a key the source declares'
      : `a key candidate, unique and non-null in the ${profile.sampleSize.toLocaleString('en-US')}-row sample but not declared`;
    const extra = facts.softDeleteColumn
      ? ` Soft deletes ("${facts.softDeleteColumn}") arrive as ordinary updates and are kept as a column.`
      : '';
    return {
      mode: 'merge',
      primaryKey: key.columns,
      reasons: [
        `Load merges on ${columnList(key.columns)}, ${evidence}, so a re-read row replaces its earlier copy.${extra}`,
      ],
    };
  }
  const refused = facts.nullableCandidates[0];
  const note = refused ? ` (the key candidate ${columnList(refused)} holds nulls, so it is not a key)` : '';
  if (extract.mode === 'incremental') {
    return {
      mode: 'append',
      reasons: [
        `Load appends${note}: the rows are immutable, there is no key to merge on, and the "${extract.cursorColumn}" cursor hands each run only new rows.`,
      ],
    };
  }
  if (facts.tiny) {
    return {
      mode: 'replace',
      reasons: [
        `Load replaces the target${note}: a tiny snapshot (~${profile.rowCountEstimate.toLocaleString('en-US')} rows) without key or cursor is cheapest swapped whole.`,
      ],
    };
  }
  return {
    mode: 'replace',
    reasons: [`Load replaces the target${note}: without a key, a full read appended again would duplicate every row.`],
  };
}
