import type { ColumnStat, RunStatsRecord } from '@aoe/store';
import type { Finding } from './finding';

export interface SchemaChange {
  added: Array<{ name: string; type: string }>;
  removed: Array<{ name: string; type: string }>;
  retyped: Array<{ name: string; from: string; to: string }>;
}

export function compareColumns(before: readonly ColumnStat[], after: readonly ColumnStat[]): SchemaChange {
  const old = new Map(before.map((c) => [c.name, c.type]));
  const now = new Map(after.map((c) => [c.name, c.type]));
  return {
    added: after.filter((c) => !old.has(c.name)).map((c) => ({ name: c.name, type: c.type })),
    removed: before.filter((c) => !now.has(c.name)).map((c) => ({ name: c.name, type: c.type })),
    retyped: after.flatMap((c) => {
      const from = old.get(c.name);
      return from !== undefined && from !== c.type ? [{ name: c.name, from, to: c.type }] : [];
    }),
  };
}

/**
 * Schema drift: the run's schema fingerprint differs from the one of the
 * pipeline's previous run that had one (history newest first or oldest
 * first: the latest finish wins). Removed and retyped columns break loads;
 * added ones are news. No minimum history: one earlier schema is enough.
 */
export function detectSchemaDrift(current: RunStatsRecord, history: readonly RunStatsRecord[]): Finding | undefined {
  if (!current.schemaFingerprint || !current.columns) return undefined;
  const previous = history
    .filter((r) => r.schemaFingerprint && r.columns && r.finishedAt <= current.finishedAt && r.runId !== current.runId)
    .sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))[0];
  if (!previous?.columns || previous.schemaFingerprint === current.schemaFingerprint) return undefined;
  const change = compareColumns(previous.columns, current.columns);
  const parts = [
    change.added.length > 0 ? `added ${change.added.map((c) => c.name).join(', ')}` : '',
    change.removed.length > 0 ? `removed ${change.removed.map((c) => c.name).join(', ')}` : '',
    change.retyped.length > 0 ? `retyped ${change.retyped.map((c) => `${c.name} ${c.from} → ${c.to}`).join(', ')}` : '',
  ].filter(Boolean);
  return {
    kind: 'schema-drift',
    pipelineId: current.pipelineId,
    runId: current.runId,
    at: current.finishedAt,
    summary: `Schema changed since run ${previous.runId}: ${parts.join('; ') || 'column order or types'}.`,
    score: change.removed.length + change.retyped.length > 0 ? 2 : 1,
    evidence: {
      ...change,
      previousRunId: previous.runId,
      previousFingerprint: previous.schemaFingerprint,
      fingerprint: current.schemaFingerprint,
    },
  };
}
