import type { LogicalType } from '@aoe/contracts';
import type { Row } from '@aoe/connectors';
import type { ColumnStats } from './column-stats';
import { nameWords } from './pii';
import { valueText } from './column-stats';

export interface ProfiledColumn {
  name: string;
  type: LogicalType;
  stats: ColumnStats;
}

/** Types a key can have: exact scalars that compare by value. */
const KEY_TYPES = new Set<LogicalType>(['integer', 'bigint', 'decimal', 'string', 'date']);
/** Text longer than this is a description, not a key. */
const MAX_KEY_TEXT = 100;
const MAX_CANDIDATES = 5;
/** Columns tried in pairs when no single column is unique. */
const MAX_PAIR_COLUMNS = 8;

/** A sample of one row proves nothing about uniqueness. */
const MIN_KEY_SAMPLE = 2;

function keyNameRank(name: string): number {
  const words = nameWords(name);
  if (words === 'id' || words === 'uuid' || words === 'guid') return 0;
  if (/( |^)(id|uuid|guid|key|pk)$/.test(words)) return 1;
  if (/( |^)(code|number|no|nr|sku|ref|reference)$/.test(words)) return 2;
  return 3;
}

function uniqueInSample(column: ProfiledColumn): boolean {
  const { stats } = column;
  return (
    KEY_TYPES.has(column.type) &&
    stats.rows >= MIN_KEY_SAMPLE &&
    stats.nulls === 0 &&
    stats.distinct === stats.rows &&
    stats.maxLength <= MAX_KEY_TEXT
  );
}

/**
 * Primary-key candidates: keys the source declares (a PRIMARY KEY first, then
 * unique indexes on NOT NULL columns), then single columns that are non-null and
 * unique in the sample (of a key-like type: integers, decimals, short text,
 * dates), ranked by name (`id`, `…_id`/`uuid`/`key`, `…_code`/`…_number`, the
 * rest). Only when no single column qualifies are pairs of columns tried.
 */
export function primaryKeyCandidates(
  columns: readonly ProfiledColumn[],
  rows: readonly Row[],
  declared: { primaryKey?: string[]; uniqueKeys?: string[][] } = {},
): string[][] {
  const candidates: string[][] = [];
  const seen = new Set<string>();
  const add = (key: string[]) => {
    const id = JSON.stringify(key);
    if (!seen.has(id) && candidates.length < MAX_CANDIDATES) {
      seen.add(id);
      candidates.push(key);
    }
  };
  if (declared.primaryKey?.length) add(declared.primaryKey);
  for (const key of declared.uniqueKeys ?? []) if (key.length > 0) add(key);

  const singles = columns
    .filter(uniqueInSample)
    .sort((a, b) => keyNameRank(a.name) - keyNameRank(b.name) || columns.indexOf(a) - columns.indexOf(b));
  for (const column of singles) add([column.name]);
  if (singles.length > 0 || candidates.length > 0 || rows.length < MIN_KEY_SAMPLE) return candidates;

  const pairable = columns
    .filter(
      (c) => KEY_TYPES.has(c.type) && c.stats.nulls === 0 && c.stats.maxLength <= MAX_KEY_TEXT && c.stats.distinct > 1,
    )
    .sort((a, b) => keyNameRank(a.name) - keyNameRank(b.name) || b.stats.distinct - a.stats.distinct)
    .slice(0, MAX_PAIR_COLUMNS);
  for (let i = 0; i < pairable.length; i++) {
    for (let j = i + 1; j < pairable.length; j++) {
      const a = pairable[i].name;
      const b = pairable[j].name;
      const keys = new Set<string>();
      for (const row of rows) keys.add(JSON.stringify([valueText(row[a] ?? null), valueText(row[b] ?? null)]));
      if (keys.size === rows.length) add([a, b]);
    }
  }
  return candidates;
}

const UPDATED_NAME =
  /(^| )(updated|modified|changed|last modified|last updated|last changed)( at| on| time| ts| date)?$|^(mtime|updated|modified|update time|modify time|last update)$/;
const CREATED_NAME =
  /(^| )(created|inserted|occurred|recorded|logged|ingested|loaded|event|received|published)( at| on| time| ts| date)$|^(created|timestamp|ts|event time|ctime)$/;
/** Share of consecutive pairs allowed to go down in a column still called monotonic (rows rewritten in place). */
const MAX_DOWN_SHARE = 0.01;

const TIME_TYPES = new Set<LogicalType>(['date', 'timestamp', 'timestamptz']);
const ID_TYPES = new Set<LogicalType>(['integer', 'bigint']);

export function isUpdatedName(name: string): boolean {
  return UPDATED_NAME.test(nameWords(name));
}

export function isCreatedName(name: string): boolean {
  return CREATED_NAME.test(nameWords(name));
}

/** Values rise in read order: (almost) never down, and mostly up. */
export function risesInReadOrder(stats: ColumnStats): boolean {
  const pairs = stats.order.up + stats.order.down + stats.order.same;
  return pairs >= 1 && stats.order.down <= pairs * MAX_DOWN_SHARE && stats.order.up >= pairs / 2;
}

/**
 * Cursor-column candidates for incremental loads, best first: non-null
 * timestamps named like `updated_at`/`modified_at` (they see updates), then
 * ones named like `created_at`/`occurred_at`/`inserted_at`, then any timestamp
 * that rises in read order, then integer columns that rise in read order
 * (`id` of an append-only table). A column with nulls in the sample is never a
 * cursor: rows with a null cursor would never be loaded incrementally.
 */
export function cursorCandidates(columns: readonly ProfiledColumn[]): string[] {
  const scored: Array<{ name: string; score: number; index: number }> = [];
  columns.forEach((column, index) => {
    if (column.stats.nulls > 0 || column.stats.rows === column.stats.nulls) return;
    const rises = risesInReadOrder(column.stats);
    let score = 0;
    if (TIME_TYPES.has(column.type)) {
      if (isUpdatedName(column.name)) score = 100;
      else if (isCreatedName(column.name)) score = 80;
      else if (rises) score = 60;
      if (score > 0 && rises) score += 5;
    } else if (ID_TYPES.has(column.type) && rises && column.stats.distinct > 1) {
      score = keyNameRank(column.name) <= 1 ? 50 : 40;
    }
    if (score > 0) scored.push({ name: column.name, score, index });
  });
  return scored.sort((a, b) => b.score - a.score || a.index - b.index).map((c) => c.name);
}
