import type { LoadMode, TargetSpec } from '@aoe/contracts';
import type { ExtractChoice } from './extract.rules';
import type { ProfileFacts } from './profile-facts';

export interface LoadChoice {
  mode: LoadMode;
  primaryKey?: string[];
  reasons: string[];
}

const columnList = (columns: readonly string[]) => `(${columns.map((c) => `"${c}"`).join(', ')})`;

/** Targets that can upsert on a key; files and objects are written whole, part by part. */
const MERGEABLE: ReadonlySet<TargetSpec['kind']> = new Set(['postgres', 'warehouse']);

/**
 * merge on a key (where the target can); append for immutable rows read
 * incrementally; replace for everything else that is read whole (tiny
 * snapshots first of all), since a full read appended again would duplicate
 * every row.
 */
export function chooseLoad(facts: ProfileFacts, extract: ExtractChoice, target: TargetSpec): LoadChoice {
  const { key, profile } = facts;
  if (key && MERGEABLE.has(target.kind)) {
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
  const note = key
    ? ` (the ${target.kind} target cannot merge on ${columnList(key.columns)})`
    : refused
      ? ` (the key candidate ${columnList(refused)} holds nulls, so it is not a key)`
      : '';
  if (extract.mode === 'incremental') {
    return {
      mode: 'append',
      reasons: [
        key
          ? `Load appends${note}: the "${extract.cursorColumn}" cursor hands each run only new or changed rows, each written as a new part.`
          : `Load appends${note}: the rows are immutable, there is no key to merge on, and the "${extract.cursorColumn}" cursor hands each run only new rows.`,
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
    reasons: [`Load replaces the target${note}: a full read appended again would duplicate every row.`],
  };
}
