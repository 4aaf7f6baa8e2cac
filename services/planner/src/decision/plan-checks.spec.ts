import type { PipelinePlan, TransformOp } from '@aoe/contracts';
import type { PlanningInput } from '../planning-input';
import { planFromProfile } from '../rules/rules-planner';
import { checkPlan } from './plan-checks';
import { describePlan, restorePlan } from './plan-choice';

const input: PlanningInput = {
  profile: {
    sourceId: 'src-1',
    kind: 'postgres',
    profiledAt: '2026-02-01T00:00:00.000Z',
    columns: [
      { name: 'id', type: 'integer', nullable: false, nullRate: 0, distinctEstimate: 100, piiHints: [] },
      {
        name: 'email',
        type: 'string',
        nullable: false,
        nullRate: 0,
        distinctEstimate: 100,
        piiHints: [{ kind: 'email', evidence: 'name-and-values', confidence: 0.9 }],
      },
      {
        name: 'amount',
        type: 'number',
        declaredType: 'text',
        nullable: true,
        nullRate: 0.1,
        distinctEstimate: 80,
        piiHints: [],
      },
      { name: 'updated_at', type: 'timestamptz', nullable: false, nullRate: 0, distinctEstimate: 100, piiHints: [] },
    ],
    primaryKeyCandidates: [['id']],
    primaryKeyConfirmed: true,
    cursorCandidates: ['updated_at'],
    rowCountEstimate: 2_000_000,
    sampleSize: 10_000,
    durationMs: 10,
  },
  target: { kind: 'warehouse', table: { schema: 'public', name: 'orders' } },
  policy: { maskPii: true, schemaEvolution: 'additive' },
  pipelineId: 'pl-1',
  sourceId: 'src-1',
  version: 1,
};

const rulesPlan = planFromProfile(input).plan;

/** The rules plan with the transform operations replaced. */
function withOps(ops: TransformOp[]): PipelinePlan {
  return {
    ...rulesPlan,
    tasks: rulesPlan.tasks.map((t) => (t.kind === 'transform' ? { ...t, params: { operations: ops } } : t)),
  };
}

function reasons(plan: unknown): string[] {
  const verdict = checkPlan(input, plan as PipelinePlan);
  return verdict.ok ? [] : verdict.reasons;
}

describe('checkPlan', () => {
  it('accepts the rules plan', () => {
    expect(checkPlan(input, rulesPlan)).toEqual({ ok: true });
  });

  it('refuses what breaks the contract', () => {
    expect(reasons({ ...rulesPlan, tasks: [] })).toEqual([expect.stringContaining('tasks')]);
  });

  it('refuses a plan the engine would not compile against the profiled columns', () => {
    expect(reasons(withOps([{ op: 'cast', column: 'ghost', to: 'integer' }]))).toEqual([
      expect.stringContaining('unknown column "ghost"'),
    ]);
    expect(reasons(withOps([{ op: 'rename', from: 'id', to: 'key' }]))).toContain(
      'load: primary key column "id" is not in the output',
    );
    const unsafe = {
      ...rulesPlan,
      tasks: rulesPlan.tasks.map((t) =>
        t.kind === 'validate'
          ? { ...t, params: { ...t.params, rules: [{ rule: 'pattern', column: 'id', regex: '(a+)+$' }] } }
          : t,
      ),
    };
    expect(reasons(unsafe)).toEqual([expect.stringContaining('unsafe pattern')]);
  });

  it('refuses a second load task', () => {
    const load = rulesPlan.tasks.find((t) => t.kind === 'load')!;
    expect(reasons({ ...rulesPlan, tasks: [...rulesPlan.tasks, { ...load, id: 'load-2' }] })).toEqual([
      expect.stringContaining('2 load tasks'),
    ]);
  });

  it('refuses settings outside the bounds', () => {
    const plan = { ...rulesPlan, settings: { batchSize: 500_000, readParallelism: 16, loadConcurrency: 9 } };
    expect(reasons(plan)).toEqual([
      'batchSize 500000 is outside [1000, 200000]',
      'readParallelism 16 is above 8',
      'loadConcurrency 9 is above 8',
    ]);
  });
});

describe('plan choice', () => {
  it('describes a plan for people and restores it for the guard', () => {
    const choice = describePlan(
      withOps([
        { op: 'select', columns: ['id', 'email', 'amount', 'updated_at'] },
        { op: 'rename', from: 'amount', to: 'total' },
        { op: 'filter', expr: 'total > 0' },
        { op: 'derive', column: 'big', expr: 'total > 100' },
        { op: 'mask', column: 'email', style: 'hash' },
      ]),
    );
    expect(choice.summary).toMatchObject({
      extract: 'incremental on "updated_at", 2 partition(s)',
      load: 'merge on (id)',
      transforms: [
        'select id, email, amount, updated_at',
        'rename amount -> total',
        'filter total > 0',
        'derive big = total > 100',
        'mask email (hash)',
      ],
    });
    expect(restorePlan(describePlan(rulesPlan))).toEqual(rulesPlan);
    expect(restorePlan({ plan: { nope: true } })).toBeUndefined();
  });

  it('describes every validation rule', () => {
    const plan = {
      ...rulesPlan,
      tasks: rulesPlan.tasks.map((t) =>
        t.kind === 'validate'
          ? {
              ...t,
              params: {
                onFailure: 'fail' as const,
                rules: [
                  { rule: 'range' as const, column: 'amount', min: 0 },
                  { rule: 'pattern' as const, column: 'email', regex: '^.+@.+$' },
                  { rule: 'row-count' as const, max: 5 },
                ],
              },
            }
          : t,
      ),
    };
    expect(describePlan(plan).summary).toMatchObject({
      validations: ['range amount [0, +inf]', 'pattern email /^.+@.+$/', 'row-count [0, 5]'],
      onFailure: 'fail',
    });
  });
});
