import type { ColumnProfile, LogicalType, PiiKind, SourceProfile } from '@aoe/contracts';

/**
 * What the rules read off a profile, each fact with the evidence it rests on.
 * Thresholds are named here so the docs and the tests quote the same numbers.
 */

/** A source at or above this many rows (or bytes) is large: worth an incremental read and partitions. */
export const LARGE_ROWS = 1_000_000;
export const LARGE_BYTES = 1024 ** 3;
/** A snapshot at or below this many rows is tiny (a lookup table): replacing it whole is cheapest. */
export const TINY_ROWS = 10_000;
/** Rows per read partition of a large PostgreSQL table, and the most partitions a plan asks for. */
export const ROWS_PER_PARTITION = 2_500_000;
export const MAX_PARTITIONS = 8;
/** A PII hint below this confidence is reported, not acted on. */
export const PII_CONFIDENCE = 0.5;
/** The cursor of object-store and file-glob sources: new objects by last-modified time. */
export const OBJECT_CURSOR = '_last_modified';

const ORDERABLE: readonly LogicalType[] = ['timestamp', 'timestamptz', 'date', 'integer', 'bigint'];
const UPDATE_WORDS = new Set(['updated', 'modified', 'changed', 'synced', 'edited']);
const SOFT_DELETE_WORDS = new Set(['deleted', 'removed', 'archived']);
const KEY_WORDS = new Set(['id', 'key', 'code', 'uuid', 'no', 'number']);

export interface KeyFact {
  columns: string[];
  /** A constraint of the source says so (else: the sample suggests it). */
  confirmed: boolean;
}

export interface CursorFact {
  column: string;
  /** `update`: moves when a row changes; `append`: set once when a row arrives; `object`: new files. */
  kind: 'update' | 'append' | 'object';
}

export interface PiiColumn {
  column: string;
  kind: PiiKind;
  confidence: number;
}

export interface ProfileFacts {
  profile: SourceProfile;
  columns: ReadonlyMap<string, ColumnProfile>;
  key?: KeyFact;
  /** Key candidates refused because a column holds nulls. */
  nullableCandidates: string[][];
  cursor?: CursorFact;
  /** A cursor candidate not used, and why (for the rationale). */
  cursorRefused?: { column: string; reason: string };
  /** Columns whose names say they change when a row is updated. */
  updateColumns: string[];
  softDeleteColumn?: string;
  /** New rows arrive, old ones never change: new objects, or a creation cursor with nothing that tracks updates. */
  appendOnly: boolean;
  large: boolean;
  tiny: boolean;
  /** Values arrive as text (CSV cells), so typed columns need a cast. */
  textCells: boolean;
  /** Formats and sources whose rows carry no schema of their own: bad rows are likely. */
  untyped: boolean;
  pii: PiiColumn[];
  /** Hints seen below PII_CONFIDENCE. */
  weakPii: PiiColumn[];
}

/** `updatedAt`, `Updated-At` and `updated_at` all become ['updated', 'at']. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

export function isUpdateName(name: string): boolean {
  const words = nameWords(name);
  return words.some((w) => UPDATE_WORDS.has(w)) || (words.includes('last') && words.includes('update'));
}

function isSoftDeleteName(name: string): boolean {
  return nameWords(name).some((w) => SOFT_DELETE_WORDS.has(w));
}

function keyNameScore(columns: readonly string[]): number {
  return columns.filter((c) => KEY_WORDS.has(nameWords(c).at(-1) ?? '')).length;
}

function isLarge(profile: SourceProfile): boolean {
  return profile.rowCountEstimate >= LARGE_ROWS || (profile.sizeBytes ?? 0) >= LARGE_BYTES;
}

export function profileFacts(profile: SourceProfile): ProfileFacts {
  const columns = new Map(profile.columns.map((c) => [c.name, c]));
  const { key, nullableCandidates } = chooseKey(profile, columns);
  const updateColumns = profile.columns.filter((c) => isUpdateName(c.name)).map((c) => c.name);
  const softDeleteColumn = profile.columns.find((c) => isSoftDeleteName(c.name))?.name;
  const { cursor, refused } = chooseCursor(profile, columns, updateColumns, softDeleteColumn);
  const large = isLarge(profile);
  const appendOnly = cursor?.kind === 'object' || (cursor?.kind === 'append' && updateColumns.length === 0);

  const pii: PiiColumn[] = [];
  const weakPii: PiiColumn[] = [];
  for (const column of profile.columns) {
    const strongest = [...column.piiHints].sort((a, b) => b.confidence - a.confidence)[0];
    if (!strongest) continue;
    const hint = { column: column.name, kind: strongest.kind, confidence: strongest.confidence };
    (strongest.confidence >= PII_CONFIDENCE ? pii : weakPii).push(hint);
  }

  const textCells = profile.format === 'csv';
  return {
    profile,
    columns,
    key,
    nullableCandidates,
    cursor,
    cursorRefused: refused,
    updateColumns,
    softDeleteColumn,
    appendOnly,
    large,
    tiny: !large && profile.rowCountEstimate <= TINY_ROWS,
    textCells,
    untyped: textCells || profile.format === 'jsonl' || profile.format === 'json' || profile.kind === 'http-api',
    pii,
    weakPii,
  };
}

/**
 * The confirmed key when the source declares one; otherwise the candidate with
 * no nulls, preferring fewer columns and key-like names (`id`, `*_code`).
 */
function chooseKey(
  profile: SourceProfile,
  columns: ReadonlyMap<string, ColumnProfile>,
): { key?: KeyFact; nullableCandidates: string[][] } {
  const known = profile.primaryKeyCandidates.filter((candidate) => candidate.every((c) => columns.has(c)));
  if (profile.primaryKeyConfirmed && known[0])
    return { key: { columns: known[0], confirmed: true }, nullableCandidates: [] };
  const nullableCandidates = known.filter((candidate) => candidate.some((c) => (columns.get(c)?.nullRate ?? 1) > 0));
  const usable = known
    .map((candidate, index) => ({ candidate, index }))
    .filter(({ candidate }) => !nullableCandidates.includes(candidate))
    .sort(
      (a, b) =>
        a.candidate.length - b.candidate.length ||
        keyNameScore(b.candidate) - keyNameScore(a.candidate) ||
        a.index - b.index,
    );
  const best = usable[0]?.candidate;
  return { key: best ? { columns: best, confirmed: false } : undefined, nullableCandidates };
}

/**
 * Object sources (S3 prefixes, file globs) read new objects; tables read past a
 * column's high-water mark. An update cursor catches changed rows; a creation
 * cursor is only safe when nothing in the table says rows change.
 */
function chooseCursor(
  profile: SourceProfile,
  columns: ReadonlyMap<string, ColumnProfile>,
  updateColumns: readonly string[],
  softDeleteColumn: string | undefined,
): { cursor?: CursorFact; refused?: { column: string; reason: string } } {
  const candidates = profile.cursorCandidates;
  if (profile.kind === 's3' || profile.kind === 'file') {
    if (candidates.includes(OBJECT_CURSOR)) return { cursor: { column: OBJECT_CURSOR, kind: 'object' } };
    const other = candidates[0];
    return other
      ? {
          refused: {
            column: other,
            reason: `a ${profile.kind} source reads new objects, not rows past a column's mark`,
          },
        }
      : {};
  }
  if (profile.kind === 'http-api') {
    const other = candidates[0];
    return other
      ? { refused: { column: other, reason: 'the HTTP source has no server-side filter; every run reads every page' } }
      : {};
  }
  const orderable = candidates.filter((name) => {
    const type = columns.get(name)?.type;
    return type !== undefined && ORDERABLE.includes(type);
  });
  const update = orderable.find(isUpdateName);
  if (update) return { cursor: { column: update, kind: 'update' } };
  const append = orderable[0];
  if (!append) return {};
  if (updateColumns.length > 0) {
    return {
      refused: { column: append, reason: `rows change ("${updateColumns[0]}"), and "${append}" would miss updates` },
    };
  }
  if (softDeleteColumn) {
    return {
      refused: {
        column: append,
        reason: `rows are soft-deleted ("${softDeleteColumn}"), and "${append}" would miss deletions`,
      },
    };
  }
  return { cursor: { column: append, kind: 'append' } };
}
