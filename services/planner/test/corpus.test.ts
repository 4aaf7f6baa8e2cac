import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  LogicalType,
  PiiKind,
  PipelinePlan,
  SourceProfile,
  TargetPolicy,
  TargetSpec,
  type ValidationRule,
} from '@aoe/contracts';
import { checkPlan } from '../src/decision/plan-checks';
import { planDecideRequest } from '../src/llm';
import type { PlanningInput } from '../src/planning-input';
import { planFromProfile } from '../src/rules/rules-planner';
import { RulesPlanBrain } from '../src/rules/rules-plan.brain';

/**
 * The planner's corpus: profiles of the sources people point the platform at,
 * each with the plan properties it must get. Every property is scored; the
 * run prints `corpus score: F/F fixtures, P/P properties` and fails below 100%.
 */

const CompactColumn = z.strictObject({
  name: z.string(),
  type: LogicalType,
  declaredType: z.string().optional(),
  nullRate: z.number().default(0),
  distinctEstimate: z.number().int().optional(),
  pii: z
    .array(
      z.strictObject({
        kind: PiiKind,
        confidence: z.number(),
        evidence: z.enum(['name', 'values', 'name-and-values']),
      }),
    )
    .default([]),
});

const Rule = z.record(z.string(), z.unknown());
const Fixture = z.strictObject({
  name: z.string(),
  description: z.string(),
  input: z.strictObject({
    profile: z.looseObject({ columns: z.array(CompactColumn), rowCountEstimate: z.number().int() }),
    target: TargetSpec,
    policy: TargetPolicy,
  }),
  expect: z.strictObject({
    extract: z.strictObject({
      mode: z.enum(['full', 'incremental']),
      cursorColumn: z.string().nullable(),
      partitions: z.number().int(),
    }),
    load: z.strictObject({ mode: z.enum(['append', 'replace', 'merge']), primaryKey: z.array(z.string()).nullable() }),
    dedupe: z.array(z.string()).nullable(),
    casts: z.record(z.string(), LogicalType),
    masks: z.record(z.string(), z.enum(['hash', 'redact', 'partial'])),
    unmasked: z.array(z.string()).default([]),
    validations: z.array(Rule),
    absentValidations: z.array(Rule).default([]),
    onFailure: z.enum(['fail', 'quarantine']),
    rationaleMentions: z.array(z.string()),
  }),
});
type Fixture = z.infer<typeof Fixture>;

const corpusDir = join(__dirname, 'corpus');
const fixtures: Fixture[] = readdirSync(corpusDir)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => Fixture.parse(JSON.parse(readFileSync(join(corpusDir, file), 'utf8'))));

function planningInput(fixture: Fixture): PlanningInput {
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
    columns: columns.map((c) => ({
      name: c.name,
      type: c.type,
      ...(c.declaredType ? { declaredType: c.declaredType } : {}),
      nullable: c.nullRate > 0,
      nullRate: c.nullRate,
      distinctEstimate: c.distinctEstimate ?? Math.round(Math.min(rows, 10_000) * (1 - c.nullRate)),
      piiHints: c.pii,
    })),
  });
  return {
    profile,
    target: fixture.input.target,
    policy: fixture.input.policy,
    pipelineId: `pl-${fixture.name}`,
    sourceId: profile.sourceId,
    version: 1,
  };
}

type Property = [name: string, holds: boolean];

function matches(rule: ValidationRule, wanted: Record<string, unknown>): boolean {
  return Object.entries(wanted).every(
    ([field, value]) => JSON.stringify((rule as Record<string, unknown>)[field]) === JSON.stringify(value),
  );
}

function properties(fixture: Fixture, input: PlanningInput, plan: PipelinePlan, rationale: string): Property[] {
  const expect = fixture.expect;
  const extract = plan.tasks.find((t) => t.kind === 'extract')!;
  const load = plan.tasks.find((t) => t.kind === 'load')!;
  const ops = plan.tasks.flatMap((t) => (t.kind === 'transform' ? t.params.operations : []));
  const rules = plan.tasks.flatMap((t) => (t.kind === 'validate' ? t.params.rules : []));
  const validate = plan.tasks.find((t) => t.kind === 'validate');
  const masks = new Map(ops.flatMap((op) => (op.op === 'mask' ? [[op.column, op.style] as const] : [])));
  const casts = new Map(ops.flatMap((op) => (op.op === 'cast' ? [[op.column, op.to] as const] : [])));
  const dedupe = ops.find((op) => op.op === 'dedupe');
  // The same validation the planner service asks the guard to apply.
  const verdict = planDecideRequest({ input, rules: new RulesPlanBrain(), checks: [checkPlan] }).validate(input, plan);

  const props: Property[] = [
    ['the plan satisfies the PipelinePlan contract', PipelinePlan.safeParse(plan).success],
    [`the plan passes the planner's checks${verdict.ok ? '' : `: ${verdict.reasons.join('; ')}`}`, verdict.ok],
    [
      'the DAG is extract -> transform -> validate -> load',
      plan.tasks.map((t) => `${t.kind}<${t.dependsOn.join(',')}`).join(' ') ===
        'extract< transform<extract validate<transform load<validate',
    ],
    [`extract mode ${expect.extract.mode}`, extract.kind === 'extract' && extract.params.mode === expect.extract.mode],
    [
      `cursor ${expect.extract.cursorColumn}`,
      extract.kind === 'extract' && (extract.params.cursorColumn ?? null) === expect.extract.cursorColumn,
    ],
    [
      `${expect.extract.partitions} partition(s)`,
      extract.kind === 'extract' && extract.params.partitions === expect.extract.partitions,
    ],
    [`load mode ${expect.load.mode}`, load.kind === 'load' && load.params.mode === expect.load.mode],
    [
      `load key ${JSON.stringify(expect.load.primaryKey)}`,
      load.kind === 'load' && JSON.stringify(load.params.primaryKey ?? null) === JSON.stringify(expect.load.primaryKey),
    ],
    [
      `dedupe ${JSON.stringify(expect.dedupe)}`,
      JSON.stringify(dedupe?.op === 'dedupe' ? dedupe.key : null) === JSON.stringify(expect.dedupe),
    ],
    [`exactly ${Object.keys(expect.casts).length} cast(s)`, casts.size === Object.keys(expect.casts).length],
    ...Object.entries(expect.casts).map(([column, to]): Property => [
      `cast ${column} to ${to}`,
      casts.get(column) === to,
    ]),
    [`exactly ${Object.keys(expect.masks).length} mask(s)`, masks.size === Object.keys(expect.masks).length],
    ...Object.entries(expect.masks).map(([column, style]): Property => [
      `mask ${column} (${style})`,
      masks.get(column) === style,
    ]),
    ...expect.unmasked.map((column): Property => [`${column} is not masked`, !masks.has(column)]),
    ...expect.validations.map((wanted): Property => [
      `validation ${JSON.stringify(wanted)}`,
      rules.some((r) => matches(r, wanted)),
    ]),
    ...expect.absentValidations.map((unwanted): Property => [
      `no validation ${JSON.stringify(unwanted)}`,
      !rules.some((r) => matches(r, unwanted)),
    ]),
    [`onFailure ${expect.onFailure}`, validate?.kind === 'validate' && validate.params.onFailure === expect.onFailure],
    ...expect.rationaleMentions.map((text): Property => [`the rationale mentions "${text}"`, rationale.includes(text)]),
  ];
  return props;
}

describe('planner corpus', () => {
  it('has at least 12 fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(12);
  });

  it('plans every fixture with every property it must have', () => {
    let passedFixtures = 0;
    let passed = 0;
    let total = 0;
    const failures: string[] = [];
    for (const fixture of fixtures) {
      const input = planningInput(fixture);
      const { plan, rationale } = planFromProfile(input);
      const props = properties(fixture, input, plan, rationale);
      const failed = props.filter(([, holds]) => !holds);
      total += props.length;
      passed += props.length - failed.length;
      if (failed.length === 0) passedFixtures++;
      for (const [name] of failed) failures.push(`${fixture.name}: ${name}`);
    }
    const line = `corpus score: ${passedFixtures}/${fixtures.length} fixtures, ${passed}/${total} properties`;
    console.log([line, ...failures.map((f) => `  FAILED ${f}`)].join('\n'));
    expect(failures).toEqual([]);
    expect(passed).toBe(total);
  });
});
