import type { LogicalType, SourceProfile } from '@aoe/contracts';

/** Rough in-memory bytes of one value of each type (a JS value in a row object), plus per-value and per-row overhead. */
const VALUE_BYTES: Record<LogicalType, number> = {
  integer: 8,
  bigint: 16,
  number: 8,
  decimal: 24,
  boolean: 4,
  date: 24,
  timestamp: 24,
  timestamptz: 24,
  string: 48,
  json: 256,
  binary: 128,
};
const PER_VALUE = 16;
const PER_ROW = 64;
/** Used when there is neither a profile nor a run to go by. */
export const DEFAULT_ROW_BYTES = 512;

export interface RowWidth {
  bytes: number;
  from: 'column types' | 'source size' | 'bytes moved by runs' | 'default';
}

/**
 * The widest of what the column types suggest, what the source's size says
 * (bytes / rows), and what past runs moved per row: a batch is bounded by
 * the widest plausible row, never the narrowest.
 */
export function rowWidth(profile: SourceProfile | undefined, observedBytesPerRow: readonly number[] = []): RowWidth {
  const estimates: RowWidth[] = [];
  if (profile && profile.columns.length > 0) {
    const bytes = PER_ROW + profile.columns.reduce((sum, c) => sum + VALUE_BYTES[c.type] + PER_VALUE, 0);
    estimates.push({ bytes, from: 'column types' });
  }
  if (profile?.sizeBytes && profile.rowCountEstimate > 0) {
    estimates.push({ bytes: Math.ceil(profile.sizeBytes / profile.rowCountEstimate), from: 'source size' });
  }
  const observed = Math.max(0, ...observedBytesPerRow.filter((b) => Number.isFinite(b)));
  if (observed > 0) estimates.push({ bytes: Math.ceil(observed), from: 'bytes moved by runs' });
  if (estimates.length === 0) return { bytes: DEFAULT_ROW_BYTES, from: 'default' };
  return estimates.reduce((widest, e) => (e.bytes > widest.bytes ? e : widest));
}
