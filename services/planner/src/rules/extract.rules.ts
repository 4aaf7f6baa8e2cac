import { MAX_PARTITIONS, ROWS_PER_PARTITION, type ProfileFacts } from './profile-facts';

export interface ExtractChoice {
  mode: 'full' | 'incremental';
  cursorColumn?: string;
  partitions: number;
  reasons: string[];
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Incremental when a cursor exists and the source is large or append-only
 * (and changed rows can be merged on a key); partitions for large PostgreSQL
 * tables with a declared single-column integer key.
 */
export function chooseExtract(facts: ProfileFacts): ExtractChoice {
  const { cursor, profile } = facts;
  const rows = count(profile.rowCountEstimate);
  const reasons: string[] = [];
  let mode: ExtractChoice['mode'] = 'full';

  if (cursor && (facts.large || facts.appendOnly) && (facts.key || facts.appendOnly)) {
    mode = 'incremental';
    switch (cursor.kind) {
      case 'object':
        reasons.push(
          `Extract is incremental on "${cursor.column}": each run reads only the objects that are new since the last one.`,
        );
        break;
      case 'update':
        reasons.push(
          `Extract is incremental on "${cursor.column}", which moves whenever a row changes, because the source is large (~${rows} rows).`,
        );
        break;
      case 'append':
        reasons.push(
          `Extract is incremental on "${cursor.column}" because rows only arrive: it is set when a row is created and no column tracks updates.`,
        );
        break;
    }
  } else if (cursor && !facts.key && !facts.appendOnly) {
    reasons.push(
      `Extract is full: "${cursor.column}" could find changed rows, but without a key they cannot be merged, so each run reads everything.`,
    );
  } else if (cursor) {
    reasons.push(
      `Extract is full: the source is small (~${rows} rows), so re-reading it is cheaper than tracking "${cursor.column}".`,
    );
  } else if (facts.cursorRefused) {
    reasons.push(
      `Extract is full: "${facts.cursorRefused.column}" is not used as a cursor because ${facts.cursorRefused.reason}.`,
    );
  } else {
    reasons.push('Extract is full: the profile found no cursor column.');
  }

  const partitions = choosePartitions(facts);
  if (partitions > 1) {
    reasons.push(
      `The read is split into ${partitions} partitions on the integer key "${facts.key!.columns[0]}" (about ${count(ROWS_PER_PARTITION)} rows each).`,
    );
  }
  return { mode, ...(mode === 'incremental' ? { cursorColumn: cursor!.column } : {}), partitions, reasons };
}

function choosePartitions(facts: ProfileFacts): number {
  const { key, profile } = facts;
  if (profile.kind !== 'postgres' || !facts.large || !key?.confirmed || key.columns.length !== 1) return 1;
  const type = facts.columns.get(key.columns[0])?.type;
  if (type !== 'integer' && type !== 'bigint') return 1;
  return Math.min(MAX_PARTITIONS, Math.max(2, Math.ceil(profile.rowCountEstimate / ROWS_PER_PARTITION)));
}
