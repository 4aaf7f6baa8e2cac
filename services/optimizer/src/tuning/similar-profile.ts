import type { SourceProfile } from '@aoe/contracts';
import { rowWidth } from './row-width';

/** Rows within this factor of each other, and row widths within SIMILAR_WIDTH, make profiles similar. */
export const SIMILAR_ROWS = 10;
export const SIMILAR_WIDTH = 2;

const ratio = (a: number, b: number) => Math.max(a, b) / Math.max(1, Math.min(a, b));

/** Same kind of source, comparable volume and row width: its runs say something about ours. */
export function similarProfiles(a: SourceProfile, b: SourceProfile): boolean {
  return (
    a.kind === b.kind &&
    ratio(a.rowCountEstimate + 1, b.rowCountEstimate + 1) <= SIMILAR_ROWS &&
    ratio(rowWidth(a).bytes, rowWidth(b).bytes) <= SIMILAR_WIDTH
  );
}
