import type { SourceProfile } from '@aoe/contracts';
import type { Brain, Proposal, Verdict } from '@aoe/agents';
import type { ProfileOutcome } from './source-profiler';
import { isCreatedName, isUpdatedName } from './keys';

/** What the source-analysis decision is about: the profile, without when and how long. */
export interface ProfileDecisionInput {
  profile: Omit<SourceProfile, 'profiledAt' | 'durationMs'>;
  sampling: Pick<ProfileOutcome['sampling'], 'rowsRead' | 'bytesRead' | 'stoppedBy' | 'spread'>;
  rowCountFrom: string;
}

/** The choices a profile makes for the planner: key, cursor, volume, personal data. */
export interface ProfileSummary {
  primaryKey?: string[];
  primaryKeyConfirmed: boolean;
  cursor?: string;
  rowCountEstimate: number;
  piiColumns: Array<{ column: string; kinds: string[] }>;
  columns: number;
  sampleSize: number;
}

export function decisionInput(outcome: ProfileOutcome): ProfileDecisionInput {
  const { profiledAt: _at, durationMs: _ms, ...profile } = outcome.profile;
  const { rowsRead, bytesRead, stoppedBy, spread } = outcome.sampling;
  return { profile, sampling: { rowsRead, bytesRead, stoppedBy, spread }, rowCountFrom: outcome.rowCountFrom };
}

const STOPS: Record<ProfileDecisionInput['sampling']['stoppedBy'], string> = {
  end: 'the whole source',
  rows: 'stopped at the row bound',
  bytes: 'stopped at the byte bound',
  time: 'stopped at the time bound',
};

function cursorReason(profile: ProfileDecisionInput['profile'], name: string): string {
  const column = profile.columns.find((c) => c.name === name);
  const type = column?.type ?? 'column';
  if (type === 'integer' || type === 'bigint') return `${type} rising in read order`;
  if (isUpdatedName(name)) return `${type} named like an update time`;
  if (isCreatedName(name)) return `${type} named like a creation time`;
  return `${type} rising in read order`;
}

/**
 * The rules brain of the source-analysis agent: the profiler's own rules
 * pick the key (a declared PRIMARY KEY, else the best sampled candidate), the
 * cursor (the best candidate) and list the columns with PII hints. No model.
 */
export class ProfilerRulesBrain implements Brain<ProfileDecisionInput, ProfileSummary> {
  readonly kind = 'rules' as const;
  readonly name = 'profiler';

  async propose(input: ProfileDecisionInput): Promise<Proposal<ProfileSummary>> {
    const { profile, sampling } = input;
    const summary: ProfileSummary = {
      primaryKeyConfirmed: profile.primaryKeyConfirmed,
      rowCountEstimate: profile.rowCountEstimate,
      piiColumns: profile.columns
        .filter((c) => c.piiHints.length > 0)
        .map((c) => ({ column: c.name, kinds: c.piiHints.map((h) => h.kind) })),
      columns: profile.columns.length,
      sampleSize: profile.sampleSize,
    };
    const key = profile.primaryKeyCandidates[0];
    if (key) summary.primaryKey = key;
    const cursor = profile.cursorCandidates[0];
    if (cursor) summary.cursor = cursor;

    const how = sampling.spread
      ? 'TABLESAMPLE across the table'
      : sampling.stoppedBy === 'end'
        ? 'every row'
        : 'the first rows';
    const parts = [
      `Sampled ${profile.sampleSize.toLocaleString('en')} rows (${how}, ${STOPS[sampling.stoppedBy]}) of about ${profile.rowCountEstimate.toLocaleString('en')} (${input.rowCountFrom}); ${profile.columns.length} columns.`,
      key
        ? `Key: ${key.join(', ')} (${profile.primaryKeyConfirmed ? 'PRIMARY KEY' : 'unique and non-null in the sample'}).`
        : 'No key: no column (or pair) is unique and non-null in the sample.',
      cursor
        ? `Cursor: ${cursor} (${cursorReason(profile, cursor)}).`
        : 'No cursor column: loads are full unless the planner finds another way.',
    ];
    const pii = profile.columns.filter((c) => c.piiHints.length > 0);
    if (pii.length > 0) {
      const listed = pii.map(
        (c) => `${c.name} → ${c.piiHints.map((h) => `${h.kind} (${h.evidence}, ${h.confidence})`).join(', ')}`,
      );
      parts.push(`PII hints: ${listed.join('; ')}.`);
    } else {
      parts.push('No PII hints.');
    }
    return { value: summary, rationale: parts.join(' ') };
  }
}

/** A summary may only name columns of the profile and candidates it found. */
export function validateSummary(input: ProfileDecisionInput, summary: ProfileSummary): Verdict {
  const names = new Set(input.profile.columns.map((c) => c.name));
  const reasons: string[] = [];
  for (const column of summary.primaryKey ?? [])
    if (!names.has(column)) reasons.push(`key column "${column}" is not in the profile`);
  if (summary.cursor !== undefined && !input.profile.cursorCandidates.includes(summary.cursor)) {
    reasons.push(`cursor "${summary.cursor}" is not a cursor candidate`);
  }
  for (const { column } of summary.piiColumns)
    if (!names.has(column)) reasons.push(`PII column "${column}" is not in the profile`);
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

export function describeSummary(summary: ProfileSummary): Record<string, unknown> {
  return { ...summary };
}
