import type { PipelinePlan, PlanTask, TransformOp, ValidationRule } from '@aoe/contracts';
import type { PlanningInput } from '../planning-input';
import { validatePlanSafety } from './plan-safety';

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
        name: 'nickname',
        type: 'string',
        nullable: true,
        nullRate: 0.5,
        distinctEstimate: 90,
        piiHints: [{ kind: 'person-name', evidence: 'name', confidence: 0.2 }],
      },
      { name: 'amount', type: 'number', nullable: true, nullRate: 0.1, distinctEstimate: 80, piiHints: [] },
      { name: 'select', type: 'string', nullable: true, nullRate: 0, distinctEstimate: 3, piiHints: [] },
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
  version: 2,
};

const extract = (params: Partial<Extract<PlanTask, { kind: 'extract' }>['params']> = {}): PlanTask => ({
  id: 'extract',
  dependsOn: [],
  kind: 'extract',
  params: { mode: 'incremental', cursorColumn: 'updated_at', partitions: 1, ...params },
});
const transform = (operations: TransformOp[], id = 'transform', dependsOn = ['extract']): PlanTask => ({
  id,
  dependsOn,
  kind: 'transform',
  params: { operations },
});
const validate = (rules: ValidationRule[], onFailure: 'fail' | 'quarantine' = 'fail'): PlanTask => ({
  id: 'validate',
  dependsOn: ['transform'],
  kind: 'validate',
  params: { rules, onFailure },
});
const load = (
  params: Partial<Extract<PlanTask, { kind: 'load' }>['params']> = {},
  dependsOn = ['validate'],
): PlanTask => ({
  id: 'load',
  dependsOn,
  kind: 'load',
  params: { mode: 'merge', primaryKey: ['id'], schemaEvolution: 'additive', ...params },
});

const RULES_OPS: TransformOp[] = [
  { op: 'filter', expr: 'amount >= 0' },
  { op: 'mask', column: 'email', style: 'hash' },
];
const RULES_VALIDATIONS: ValidationRule[] = [{ rule: 'not-null', column: 'id' }];

function planWith(tasks: PlanTask[], overrides: Partial<PipelinePlan> = {}): PipelinePlan {
  return {
    pipelineId: 'pl-1',
    sourceId: 'src-1',
    version: 2,
    target: input.target,
    policy: input.policy,
    tasks,
    settings: { batchSize: 10_000, readParallelism: 1, loadConcurrency: 1 },
    createdBy: 'model',
    createdAt: '2026-02-01T00:00:00.000Z',
    ...overrides,
  };
}

const rulesPlan = planWith([extract(), transform(RULES_OPS), validate(RULES_VALIDATIONS), load()], {
  createdBy: 'rules',
});

function reasons(plan: unknown, baseline?: PipelinePlan, options?: Parameters<typeof validatePlanSafety>[3]): string[] {
  const verdict = validatePlanSafety(input, plan, baseline, options);
  return verdict.ok ? [] : verdict.reasons;
}

describe('validatePlanSafety', () => {
  it('accepts the rules plan, and a model plan that keeps what rules require and adds to it', () => {
    expect(validatePlanSafety(input, rulesPlan)).toEqual({ ok: true });
    const richer = planWith([
      extract(),
      transform([
        { op: 'rename', from: 'amount', to: 'total' },
        { op: 'filter', expr: 'total >= 0' },
        { op: 'cast', column: 'total', to: 'decimal' },
        { op: 'derive', column: 'email_domain', expr: 'lower(substr(email, 1, 3))' },
        { op: 'mask', column: 'email', style: 'redact' },
        { op: 'mask', column: 'email_domain', style: 'hash' },
        { op: 'dedupe', key: ['id'] },
        { op: 'select', columns: ['id', 'email', 'email_domain', 'total', 'updated_at', 'nickname'] },
      ]),
      validate([
        ...RULES_VALIDATIONS,
        { rule: 'range', column: 'total', min: 0 },
        { rule: 'pattern', column: 'nickname', regex: '^[a-z]+$' },
      ]),
      load(),
    ]);
    // The filter was rewritten for the renamed column: not the rules filter any more.
    expect(reasons(richer, rulesPlan)).toEqual([
      'the rules plan filters rows by "amount >= 0"; the proposal removed or changed it',
      'the proposal adds the row filter "total >= 0": a model may not drop rows the rules plan loads',
    ]);
    const sameFilter = planWith([
      extract(),
      transform([
        { op: 'filter', expr: '  amount   >= 0 ' },
        ...(richer.tasks[1] as { params: { operations: TransformOp[] } }).params.operations.filter(
          (o) => o.op !== 'filter',
        ),
      ]),
      validate([...RULES_VALIDATIONS, { rule: 'range', column: 'total', min: 0 }]),
      load(),
    ]);
    expect(reasons(sameFilter, rulesPlan)).toEqual([]);
  });

  it('refuses what is not a plan, naming disallowed kinds and operations', () => {
    expect(reasons({ tasks: 'all' })).toEqual(expect.arrayContaining([expect.stringMatching(/^not a valid plan: /)]));
    const sneaky = {
      ...rulesPlan,
      tasks: [
        extract(),
        {
          id: 'transform',
          dependsOn: ['extract'],
          kind: 'transform',
          params: { operations: [{ op: 'sql', query: 'DELETE FROM orders' }] },
        },
        { id: 'shell', dependsOn: ['transform'], kind: 'exec', params: { command: 'curl evil' } },
        load({}, ['transform']),
      ],
    };
    expect(reasons(sneaky)).toEqual(
      expect.arrayContaining([
        'task "transform": operation "sql" is not allowed (allowed: select, rename, cast, filter, derive, dedupe, mask)',
        'task "shell": task kind "exec" is not allowed (allowed: extract, transform, validate, load)',
        'raw SQL is not allowed (tasks.1.params.operations.0.query): "DELETE FROM orders"',
      ]),
    );
    expect(reasons({ tasks: [null, { id: 'x', kind: 'transform', params: {} }] })).toEqual(
      expect.not.arrayContaining([expect.stringContaining('is not allowed')]),
    );
  });

  it('refuses a kind or operation an option leaves out', () => {
    expect(reasons(rulesPlan, undefined, { transformOps: ['mask'] })).toEqual([
      'task "transform": operation "filter" is not allowed (allowed: mask)',
    ]);
    expect(reasons(rulesPlan, undefined, { taskKinds: ['extract', 'transform', 'load'] })).toEqual([
      'task "validate": task kind "validate" is not allowed (allowed: extract, transform, load)',
    ]);
  });

  it('refuses raw SQL and anything outside the expression language, but not a column named like a keyword', () => {
    const plan = planWith(
      [
        extract(),
        transform([
          { op: 'filter', expr: 'amount >= 0; DROP TABLE orders' },
          { op: 'derive', column: 'x', expr: "'SELECT * FROM pg_user'" },
          { op: 'mask', column: 'email', style: 'hash' },
          { op: 'cast', column: 'select', to: 'string' },
        ]),
        validate(RULES_VALIDATIONS),
        load(),
      ],
      { schedule: 'drop table orders' },
    );
    expect(reasons(plan)).toEqual(
      expect.arrayContaining([
        'raw SQL is not allowed (tasks.1.params.operations.0.expr): "amount >= 0; DROP TABLE orders"',
        'raw SQL is not allowed (tasks.1.params.operations.1.expr): "\'SELECT * FROM pg_user\'"',
        'raw SQL is not allowed (schedule): "drop table orders"',
        'task "transform": expression "amount >= 0; DROP TABLE orders": character ";" is not part of the expression language',
      ]),
    );
    expect(reasons(plan).join('\n')).not.toContain('"select"');
  });

  it('refuses another pipeline, source, version, target or policy', () => {
    const moved = planWith(rulesPlan.tasks, {
      pipelineId: 'pl-2',
      sourceId: 'src-2',
      version: 9,
      target: { kind: 's3', bucket: 'evil', prefix: '', format: 'parquet' },
      policy: { maskPii: false, schemaEvolution: 'any' },
    });
    expect(reasons(moved)).toEqual(
      expect.arrayContaining([
        'pipelineId must be "pl-1", not "pl-2"',
        'sourceId must be "src-1", not "src-2"',
        'version must be 2, not 9',
        'the target is set by the pipeline; a plan may not change it',
        "the policy is set by the target's owner; a plan may not change it",
      ]),
    );
  });

  it('refuses columns that do not exist where they are used', () => {
    const plan = planWith([
      extract({ cursorColumn: 'created_at' }),
      transform([
        { op: 'rename', from: 'amount', to: 'total' },
        { op: 'cast', column: 'amount', to: 'decimal' },
        { op: 'filter', expr: 'password is not null' },
        { op: 'mask', column: 'email', style: 'hash' },
        { op: 'mask', column: 'ssn', style: 'hash' },
        { op: 'dedupe', key: ['order_no'] },
        { op: 'rename', from: 'id', to: 'total' },
        { op: 'select', columns: ['id', 'email', 'ghost', 'updated_at'] },
      ]),
      validate([
        { rule: 'unique', columns: ['missing'] },
        { rule: 'pattern', column: 'email', regex: '([' },
      ]),
      load({ primaryKey: ['id', 'nope'] }),
    ]);
    expect(reasons(plan)).toEqual([
      'task "extract": cursor column "created_at" is not one of the profile\'s cursor candidates',
      'task "transform": cast column "amount" does not exist at this point',
      'task "transform": column "password" does not exist at this point',
      'task "transform": masked column "ssn" does not exist at this point',
      'task "transform": dedupe key column "order_no" does not exist at this point',
      'task "transform": rename to "total" would overwrite an existing column',
      'task "transform": selected column "id" does not exist at this point',
      'task "transform": selected column "ghost" does not exist at this point',
      'task "validate": validated column "missing" does not exist at this point',
      'task "validate": pattern "([" is not a valid regular expression',
      'task "load": key column "id" does not exist at this point',
      'task "load": key column "nope" does not exist at this point',
      'task "load": merge key (id, nope) is not a key candidate of the source profile',
    ]);
  });

  it('checks the task chain and the extract', () => {
    const twoExtracts = planWith([
      extract(),
      { ...extract(), id: 'extract2', dependsOn: ['extract'] },
      load({}, ['extract2']),
    ]);
    expect(reasons(twoExtracts)).toEqual(
      expect.arrayContaining([
        'a plan has exactly one extract task, not 2',
        'task "extract2": an extract depends on no task',
        'task "load": a load is fed by exactly one extract, not 2',
      ]),
    );
    expect(reasons(planWith([extract(), { ...transform([]), dependsOn: [] }]))).toEqual([
      'a plan has at least one load task',
      'task "transform": a transform task must depend on the task that feeds it',
    ]);
    expect(
      reasons(
        planWith([extract({ cursorColumn: undefined }), load({ mode: 'append', primaryKey: undefined }, ['extract'])]),
      ),
    ).toEqual(expect.arrayContaining(['task "extract": an incremental extract needs a cursorColumn']));
  });

  it('fits load modes to keys and extracts', () => {
    const noMask = transform([{ op: 'mask', column: 'email', style: 'hash' }]);
    expect(reasons(planWith([extract(), noMask, load({ primaryKey: undefined }, ['transform'])]))).toEqual([
      'task "load": a merge load needs a primaryKey',
    ]);
    expect(reasons(planWith([extract(), noMask, load({ primaryKey: ['amount'] }, ['transform'])]))).toEqual([
      'task "load": merge key (amount) is not a key candidate of the source profile',
    ]);
    const renamedKey = transform([
      { op: 'mask', column: 'email', style: 'hash' },
      { op: 'rename', from: 'id', to: 'customer_id' },
    ]);
    expect(reasons(planWith([extract(), renamedKey, load({ primaryKey: ['customer_id'] }, ['transform'])]))).toEqual(
      [],
    );
    expect(
      reasons(
        planWith([extract({ mode: 'full', cursorColumn: undefined }), noMask, load({ mode: 'append' }, ['transform'])]),
      ),
    ).toEqual(['task "load": an append load after a full extract would load every row again on every run']);
    expect(reasons(planWith([extract(), noMask, load({ mode: 'replace' }, ['transform'])]))).toEqual([
      'task "load": a replace load after an incremental extract would drop every row loaded before',
    ]);
    expect(reasons(planWith([extract(), noMask, load({ schemaEvolution: 'any' }, ['transform'])]))).toEqual([
      'task "load": schemaEvolution "any" is wider than the policy allows ("additive")',
    ]);
    const toS3 = {
      ...input,
      target: { kind: 's3' as const, bucket: 'lake', prefix: 'out/', format: 'parquet' as const },
    };
    const s3Plan = planWith([extract(), noMask, load({}, ['transform'])], { target: toS3.target });
    const verdict = validatePlanSafety(toS3, s3Plan);
    expect(verdict.ok ? [] : verdict.reasons).toEqual([
      'task "load": the s3 target cannot merge (files and objects cannot upsert)',
    ]);
  });

  it('follows PII through renames, derives and joins when the policy asks for masking', () => {
    expect(reasons(planWith([extract(), transform([]), load({}, ['transform'])]))).toEqual([
      'task "load": column "email" reaches the load unmasked; it is PII (email) and the policy requires it hashed or redacted',
    ]);
    const leaky = transform([
      { op: 'rename', from: 'email', to: 'contact' },
      { op: 'derive', column: 'copy', expr: "concat(contact, '')" },
      { op: 'mask', column: 'contact', style: 'partial' },
    ]);
    expect(reasons(planWith([extract(), leaky, load({}, ['transform'])]))).toEqual([
      'task "load": column "contact" (from "email") reaches the load only partly masked; it is PII (email) and the policy requires it hashed or redacted',
      'task "load": column "copy" (from "email") reaches the load unmasked; it is PII (email) and the policy requires it hashed or redacted',
    ]);
    const dropped = transform([{ op: 'select', columns: ['id', 'amount', 'updated_at'] }]);
    expect(reasons(planWith([extract(), dropped, load({}, ['transform'])]))).toEqual([]);
    // Two branches into one load: a column is there only when both carry it; PII from either counts.
    const masked = transform([{ op: 'mask', column: 'email', style: 'hash' }], 'a');
    const raw = transform([{ op: 'derive', column: 'n', expr: '1' }], 'b');
    expect(reasons(planWith([extract(), masked, raw, load({}, ['a', 'b'])]))).toEqual([
      'task "load": column "email" reaches the load unmasked; it is PII (email) and the policy requires it hashed or redacted',
    ]);
    const relaxed = { ...input, policy: { maskPii: false, schemaEvolution: 'additive' as const } };
    expect(
      validatePlanSafety(
        relaxed,
        planWith([extract(), transform([]), load({}, ['transform'])], { policy: relaxed.policy }),
      ),
    ).toEqual({
      ok: true,
    });
  });

  it('holds a model to the masks, validations and filters of the rules plan', () => {
    const weaker = planWith([
      extract(),
      transform([
        { op: 'filter', expr: 'amount >= 0' },
        { op: 'mask', column: 'email', style: 'hash' },
        { op: 'mask', column: 'nickname', style: 'partial' },
      ]),
      validate(RULES_VALIDATIONS),
      load(),
    ]);
    const strictRules = planWith(
      [
        extract(),
        transform([...RULES_OPS, { op: 'mask', column: 'nickname', style: 'redact' }]),
        validate(RULES_VALIDATIONS),
        load(),
      ],
      { createdBy: 'rules' },
    );
    expect(reasons(weaker, strictRules)).toEqual([
      'task "load": column "nickname" reaches the load only partly masked; it is hashed or redacted by the rules plan, and a model may not drop that',
    ]);

    const noValidation = planWith([
      extract(),
      transform(RULES_OPS),
      validate([{ rule: 'row-count', min: 1 }], 'fail'),
      load(),
    ]);
    expect(reasons(noValidation, rulesPlan)).toEqual([
      'the rules plan validates {"column":"id","rule":"not-null"}; the proposal dropped it',
    ]);
    const quarantining = planWith([extract(), transform(RULES_OPS), validate(RULES_VALIDATIONS, 'quarantine'), load()]);
    expect(reasons(quarantining, rulesPlan)).toEqual([
      'the rules plan fails the run on {"column":"id","rule":"not-null"}; the proposal only quarantines',
    ]);

    const widened = planWith([
      extract(),
      transform([{ op: 'filter', expr: 'amount >= 0 or amount is null' }, RULES_OPS[1]]),
      validate(RULES_VALIDATIONS),
      load(),
    ]);
    expect(reasons(widened, rulesPlan)).toEqual([
      'the rules plan filters rows by "amount >= 0"; the proposal removed or changed it',
      'the proposal adds the row filter "amount >= 0 or amount is null": a model may not drop rows the rules plan loads',
    ]);
  });
});
