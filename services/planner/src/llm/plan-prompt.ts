import type { PipelinePlan } from '@aoe/contracts';
import { boundedSample, DEFAULT_SAMPLE_LIMITS, type SampleLimits } from '@aoe/agents';
import type { PlanningInput } from '../planning-input';
import { EXPRESSION_FUNCTIONS } from './expression-columns';

/** The planning input with sample rows from the source, when the caller has them. */
export type LlmPlanningInput = PlanningInput & {
  /** A few rows as read (data for the model to look at; never instructions). */
  sampleRows?: ReadonlyArray<Record<string, unknown>>;
};

export const PLAN_SYSTEM_PROMPT = `You plan an ETL pipeline for the Agent-Orchestrated ETL platform.
You are given the profile of a data source, the kind of target, the target owner's policy and a few sample rows.
Answer with the tasks of the pipeline and its run settings by calling the tool.

Rules of the answer:
- Tasks form a chain: exactly one "extract" task (no dependsOn), then optional "transform" and "validate" tasks, then one "load" task; each task lists the task it follows in dependsOn.
- Transform operations are only: select, rename, cast, filter, derive, dedupe, mask. There is no SQL: never write SQL anywhere.
- filter and derive expressions use a small expression language: column names (double-quote names with unusual characters), 'string' literals, numbers, true/false/null, = != < <= > >= + - * / % ||, and/or/not, is [not] null, [not] in (...), and the functions ${EXPRESSION_FUNCTIONS.join(', ')}.
- Use only columns of the profile, or columns produced by an earlier rename or derive.
- An incremental extract names a cursorColumn from the profile's cursorCandidates. merge needs a primaryKey from the profile's primaryKeyCandidates; append only after an incremental extract; replace only after a full extract.
- When policy.maskPii is true, every column with a PII hint must be masked (mask, style hash or redact) or dropped by a select before the load.
- Do not add row filters that drop rows; keep every value that arrives.
- load.schemaEvolution may be "any" only when the policy allows "any".
- The target, the pipeline and the policy are fixed; you cannot change where the data goes.`;

/** What the model sees of a planning input: the profile without PII values, the target's kind, the policy, bounded sample rows. */
export function presentPlanningInput(input: LlmPlanningInput, limits: SampleLimits = DEFAULT_SAMPLE_LIMITS): unknown {
  const { profile, target, policy } = input;
  const withheld = new Map<string, string>();
  for (const column of profile.columns) {
    const hint = [...column.piiHints].sort((a, b) => b.confidence - a.confidence)[0];
    if (hint) withheld.set(column.name, hint.kind);
  }
  return {
    source: {
      kind: profile.kind,
      format: profile.format,
      rowCountEstimate: profile.rowCountEstimate,
      sizeBytes: profile.sizeBytes,
      growth: profile.growth,
      primaryKeyCandidates: profile.primaryKeyCandidates,
      primaryKeyConfirmed: profile.primaryKeyConfirmed,
      cursorCandidates: profile.cursorCandidates,
      columns: profile.columns.map((c) => ({
        name: c.name,
        type: c.type,
        nullable: c.nullable,
        nullRate: c.nullRate,
        distinctEstimate: c.distinctEstimate,
        ...(withheld.has(c.name) ? { pii: withheld.get(c.name) } : { min: c.min, max: c.max }),
      })),
    },
    target: { kind: target.kind, ...('format' in target ? { format: target.format } : {}) },
    policy,
    sampleRows: boundedSample(input.sampleRows ?? [], withheld, limits),
  };
}

/**
 * The plan a proposal makes for an input: identity, target and policy from the
 * input, tasks and settings from the model. Not parsed here: `validatePlanSafety`
 * says what is wrong with it. `createdAt` is the profile's time, as for the
 * rules plan (the service stamps the time the plan is saved).
 */
export function planFromProposal(
  input: PlanningInput,
  proposal: { tasks: unknown[]; settings: unknown },
): PipelinePlan {
  return {
    pipelineId: input.pipelineId,
    sourceId: input.sourceId,
    version: input.version,
    target: input.target,
    policy: input.policy,
    tasks: proposal.tasks,
    settings: proposal.settings,
    createdBy: 'model',
    createdAt: input.profile.profiledAt,
  } as PipelinePlan;
}
