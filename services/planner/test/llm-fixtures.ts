import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SourceProfile, TargetPolicy, TargetSpec, type PipelinePlan, type TransformOp } from '@aoe/contracts';
import type { PlanningInput } from '../src/planning-input';
import type { LlmPlanningInput } from '../src/llm';

/** A customers table with PII, a confirmed key and an update cursor; the policy asks for masking. */
export function customersInput(overrides: Partial<LlmPlanningInput> = {}): LlmPlanningInput {
  return {
    profile: SourceProfile.parse({
      sourceId: 'src-customers',
      kind: 'postgres',
      format: 'table',
      profiledAt: '2026-02-01T00:00:00.000Z',
      columns: [
        { name: 'id', type: 'integer', nullable: false, nullRate: 0, distinctEstimate: 5000, piiHints: [] },
        {
          name: 'email',
          type: 'string',
          nullable: false,
          nullRate: 0,
          distinctEstimate: 5000,
          piiHints: [{ kind: 'email', evidence: 'name-and-values', confidence: 0.95 }],
        },
        {
          name: 'full_name',
          type: 'string',
          nullable: true,
          nullRate: 0.1,
          distinctEstimate: 4000,
          piiHints: [{ kind: 'person-name', evidence: 'name', confidence: 0.7 }],
        },
        {
          name: 'country',
          type: 'string',
          nullable: true,
          nullRate: 0.05,
          distinctEstimate: 40,
          min: 'AT',
          max: 'US',
          piiHints: [],
        },
        {
          name: 'amount',
          type: 'number',
          declaredType: 'text',
          nullable: true,
          nullRate: 0.1,
          distinctEstimate: 900,
          piiHints: [],
        },
        { name: 'updated_at', type: 'timestamptz', nullable: false, nullRate: 0, distinctEstimate: 5000, piiHints: [] },
      ],
      primaryKeyCandidates: [['id']],
      primaryKeyConfirmed: true,
      cursorCandidates: ['updated_at'],
      rowCountEstimate: 2_000_000,
      sampleSize: 10_000,
      durationMs: 10,
    }),
    target: { kind: 'warehouse', table: { schema: 'public', name: 'customers' } },
    policy: { maskPii: true, schemaEvolution: 'additive' },
    pipelineId: 'pl-customers',
    sourceId: 'src-customers',
    version: 3,
    ...overrides,
  };
}

/** A plan in the rules planner's shape for customersInput, with one row filter to hold the model to. */
export function customersRulesPlan(input: PlanningInput = customersInput()): PipelinePlan {
  return {
    pipelineId: input.pipelineId,
    sourceId: input.sourceId,
    version: input.version,
    target: input.target,
    policy: input.policy,
    tasks: [
      {
        id: 'extract',
        dependsOn: [],
        kind: 'extract',
        params: { mode: 'incremental', cursorColumn: 'updated_at', partitions: 1 },
      },
      {
        id: 'transform',
        dependsOn: ['extract'],
        kind: 'transform',
        params: {
          operations: [
            { op: 'cast', column: 'amount', to: 'number' },
            { op: 'filter', expr: 'country is not null' },
            { op: 'mask', column: 'email', style: 'hash' },
            { op: 'mask', column: 'full_name', style: 'redact' },
          ],
        },
      },
      {
        id: 'validate',
        dependsOn: ['transform'],
        kind: 'validate',
        params: {
          rules: [
            { rule: 'not-null', column: 'id' },
            { rule: 'unique', columns: ['id'] },
          ],
          onFailure: 'fail',
        },
      },
      {
        id: 'load',
        dependsOn: ['validate'],
        kind: 'load',
        params: { mode: 'merge', primaryKey: ['id'], schemaEvolution: 'additive' },
      },
    ],
    settings: { batchSize: 10_000, readParallelism: 1, loadConcurrency: 1 },
    createdBy: 'rules',
    createdAt: input.profile.profiledAt,
  };
}

/** What a model proposes (tasks, settings, rationale), starting from the rules plan's tasks. */
export function proposalFrom(plan: PipelinePlan, edit: (ops: TransformOp[]) => TransformOp[] = (ops) => ops) {
  return {
    rationale: 'Incremental on updated_at, masked PII, merge on id; bigger batches for narrow rows.',
    tasks: plan.tasks.map((t) =>
      t.kind === 'transform' ? { ...t, params: { operations: edit([...t.params.operations]) } } : t,
    ) as unknown[],
    settings: { batchSize: 20_000, readParallelism: 2, loadConcurrency: 2 },
  };
}

/** The planner's corpus (services/planner/test/corpus), as planning inputs. */
export function corpusInputs(): Array<{ name: string; input: PlanningInput }> {
  const dir = join(__dirname, 'corpus');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const fixture = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        name: string;
        input: {
          profile: { columns: Array<Record<string, unknown>>; rowCountEstimate: number; [k: string]: unknown };
          target: PlanningInput['target'];
          policy: PlanningInput['policy'];
        };
      };
      const { columns, ...rest } = fixture.input.profile;
      const rows = fixture.input.profile.rowCountEstimate;
      const profile = SourceProfile.parse({
        sourceId: `src-${fixture.name}`,
        profiledAt: '2026-01-15T08:00:00.000Z',
        primaryKeyCandidates: [],
        cursorCandidates: [],
        sampleSize: Math.min(rows, 10_000),
        durationMs: 120,
        ...rest,
        columns: columns.map((c) => {
          const nullRate = (c.nullRate as number | undefined) ?? 0;
          return {
            name: c.name,
            type: c.type,
            ...(c.declaredType ? { declaredType: c.declaredType } : {}),
            nullable: nullRate > 0,
            nullRate,
            distinctEstimate:
              (c.distinctEstimate as number | undefined) ?? Math.round(Math.min(rows, 10_000) * (1 - nullRate)),
            piiHints: c.pii ?? [],
          };
        }),
      });
      return {
        name: fixture.name,
        input: {
          profile,
          target: TargetSpec.parse(fixture.input.target),
          policy: TargetPolicy.parse(fixture.input.policy),
          pipelineId: `pl-${fixture.name}`,
          sourceId: profile.sourceId,
          version: 1,
        },
      };
    });
}
