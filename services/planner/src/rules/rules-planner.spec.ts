import type { ColumnProfile, PipelinePlan, SourceProfile, TransformOp, ValidationRule } from '@aoe/contracts';
import type { PlanningInput } from '../planning-input';
import { isTextDeclared } from './transform.rules';
import { isUpdateName, nameWords, profileFacts } from './profile-facts';
import { planFromProfile } from './rules-planner';
import { RulesPlanBrain } from './rules-plan.brain';

const column = (name: string, type: ColumnProfile['type'], extra: Partial<ColumnProfile> = {}): ColumnProfile => ({
  name,
  type,
  nullable: false,
  nullRate: 0,
  distinctEstimate: 1000,
  piiHints: [],
  ...extra,
});

function input(profile: Partial<SourceProfile>, policy: Partial<PlanningInput['policy']> = {}): PlanningInput {
  return {
    profile: {
      sourceId: 'src-1',
      kind: 'postgres',
      profiledAt: '2026-02-01T00:00:00.000Z',
      columns: [column('id', 'integer')],
      primaryKeyCandidates: [],
      primaryKeyConfirmed: false,
      cursorCandidates: [],
      rowCountEstimate: 1000,
      sampleSize: 1000,
      durationMs: 5,
      ...profile,
    },
    target: { kind: 'warehouse', table: { schema: 'public', name: 't' } },
    policy: { maskPii: false, schemaEvolution: 'additive', ...policy },
    pipelineId: 'pl-1',
    sourceId: 'src-1',
    version: 3,
  };
}

const tasks = (plan: PipelinePlan) => ({
  extract: plan.tasks.find((t) => t.kind === 'extract')!.params as {
    mode: string;
    cursorColumn?: string;
    partitions: number;
  },
  ops: plan.tasks.flatMap<TransformOp>((t) => (t.kind === 'transform' ? t.params.operations : [])),
  rules: plan.tasks.flatMap<ValidationRule>((t) => (t.kind === 'validate' ? t.params.rules : [])),
  load: plan.tasks.find((t) => t.kind === 'load')!.params as { mode: string; primaryKey?: string[] },
});

describe('planFromProfile', () => {
  it('is pure: the same input gives the same plan, stamped with the profile time', () => {
    const a = planFromProfile(input({}));
    const b = planFromProfile(input({}));
    expect(a).toEqual(b);
    expect(a.plan).toMatchObject({
      pipelineId: 'pl-1',
      sourceId: 'src-1',
      version: 3,
      createdBy: 'rules',
      createdAt: '2026-02-01T00:00:00.000Z',
    });
    expect(a.plan.settings).toEqual({ batchSize: 10_000, readParallelism: 1, loadConcurrency: 1 });
  });

  it('does not read incrementally by a creation time when rows change', () => {
    const { plan, rationale } = planFromProfile(
      input({
        rowCountEstimate: 5_000_000,
        primaryKeyCandidates: [['id']],
        primaryKeyConfirmed: true,
        cursorCandidates: ['created_at'],
        columns: [column('id', 'integer'), column('created_at', 'timestamptz'), column('modifiedBy', 'string')],
      }),
    );
    expect(tasks(plan).extract).toEqual({ mode: 'full', partitions: 2 });
    expect(rationale).toContain('would miss updates');
  });

  it('reads everything and replaces when changed rows have no key to merge on', () => {
    const { plan, rationale } = planFromProfile(
      input({
        rowCountEstimate: 5_000_000,
        cursorCandidates: ['updated_at'],
        columns: [column('a', 'string'), column('updated_at', 'timestamp')],
      }),
    );
    expect(tasks(plan).extract.mode).toBe('full');
    expect(tasks(plan).load).toEqual({ mode: 'replace', schemaEvolution: 'additive' });
    expect(rationale).toContain('without a key they cannot be merged');
  });

  it('refuses cursors an object or HTTP source cannot filter by', () => {
    const s3 = planFromProfile(
      input({ kind: 's3', format: 'jsonl', cursorCandidates: ['ts'], columns: [column('ts', 'timestamp')] }),
    );
    expect(tasks(s3.plan).extract.mode).toBe('full');
    expect(s3.rationale).toContain('reads new objects');
    const file = planFromProfile(input({ kind: 'file', format: 'csv', columns: [column('x', 'string')] }));
    expect(file.rationale).toContain('found no cursor');
  });

  it('ignores cursor candidates that are missing or not orderable', () => {
    const { plan } = planFromProfile(
      input({ cursorCandidates: ['ghost', 'label'], columns: [column('label', 'string')] }),
    );
    expect(tasks(plan).extract.mode).toBe('full');
  });

  it('prefers a null-free, shorter, key-named candidate when no key is declared', () => {
    const facts = profileFacts(
      input({
        primaryKeyCandidates: [['a', 'b'], ['label'], ['order_id'], ['maybe']],
        columns: [
          column('a', 'string'),
          column('b', 'string'),
          column('label', 'string'),
          column('order_id', 'integer'),
          column('maybe', 'integer', { nullRate: 0.1 }),
        ],
      }).profile,
    );
    expect(facts.key).toEqual({ columns: ['order_id'], confirmed: false });
    expect(facts.nullableCandidates).toEqual([['maybe']]);
  });

  it('hashes a PII key column (a redacted key would merge every row into one) and never casts what it masks', () => {
    const { plan } = planFromProfile(
      input(
        {
          kind: 'file',
          format: 'csv',
          primaryKeyCandidates: [['contact_name']],
          columns: [
            column('contact_name', 'string', {
              piiHints: [{ kind: 'person-name', evidence: 'name', confidence: 0.7 }],
            }),
            column('mobile', 'bigint', { piiHints: [{ kind: 'phone', evidence: 'name', confidence: 0.7 }] }),
            column('home', 'string', { piiHints: [{ kind: 'address', evidence: 'name', confidence: 0.5 }] }),
          ],
        },
        { maskPii: true },
      ),
    );
    expect(tasks(plan).ops).toEqual([
      { op: 'dedupe', key: ['contact_name'] },
      { op: 'mask', column: 'contact_name', style: 'hash' },
      { op: 'mask', column: 'mobile', style: 'hash' },
      { op: 'mask', column: 'home', style: 'redact' },
    ]);
  });

  it('adds no row-count rule for an empty source, and keeps a nullable cursor out of not-null', () => {
    const { plan } = planFromProfile(
      input({
        rowCountEstimate: 0,
        cursorCandidates: ['seen_at'],
        columns: [column('seen_at', 'timestamp', { nullRate: 0.2, nullable: true })],
      }),
    );
    expect(tasks(plan).extract).toEqual({ mode: 'incremental', cursorColumn: 'seen_at', partitions: 1 });
    expect(tasks(plan).rules).toEqual([]);
  });

  it('carries the policy schema evolution into the load', () => {
    const { plan } = planFromProfile(input({}, { schemaEvolution: 'any' }));
    expect(plan.tasks.find((t) => t.kind === 'load')?.params).toMatchObject({ schemaEvolution: 'any' });
  });

  it('is the rules brain', async () => {
    const brain = new RulesPlanBrain();
    const proposal = await brain.propose(input({}));
    expect(brain).toMatchObject({ kind: 'rules', name: 'rules' });
    expect(proposal.value).toEqual(planFromProfile(input({})).plan);
    expect(proposal.rationale).toContain('Extract is full');
  });
});

describe('profile helpers', () => {
  it('splits names into words', () => {
    expect(nameWords('updatedAt')).toEqual(['updated', 'at']);
    expect(nameWords('Last-Update TS')).toEqual(['last', 'update', 'ts']);
  });

  it('knows update-tracking names', () => {
    expect(isUpdateName('updated_at')).toBe(true);
    expect(isUpdateName('lastUpdate')).toBe(true);
    expect(isUpdateName('last_modified')).toBe(true);
    expect(isUpdateName('created_at')).toBe(false);
  });

  it('knows text-like declared types', () => {
    expect(isTextDeclared('varchar(10)')).toBe(true);
    expect(isTextDeclared('character varying')).toBe(true);
    expect(isTextDeclared('BYTE_ARRAY (UTF8)')).toBe(true);
    expect(isTextDeclared('int8')).toBe(false);
    expect(isTextDeclared('timestamptz')).toBe(false);
  });

  it('calls a source large by rows or by bytes, and tiny only when small', () => {
    expect(profileFacts(input({ rowCountEstimate: 10, sizeBytes: 2 * 1024 ** 3 }).profile)).toMatchObject({
      large: true,
      tiny: false,
    });
    expect(profileFacts(input({ rowCountEstimate: 10_000 }).profile)).toMatchObject({ large: false, tiny: true });
  });
});

describe('load mode and the target', () => {
  const keyed = input({ primaryKeyCandidates: [['id']], primaryKeyConfirmed: true });
  const loadOf = (plan: PipelinePlan) => plan.tasks.find((t) => t.kind === 'load')!.params;

  it('merges on a key into a table', () => {
    expect(loadOf(planFromProfile(keyed).plan)).toMatchObject({ mode: 'merge', primaryKey: ['id'] });
  });

  it('never merges into files or objects, which cannot upsert', () => {
    for (const target of [
      { kind: 'directory', path: '/tmp/out', format: 'parquet' },
      { kind: 's3', bucket: 'lake', prefix: 'out/', format: 'jsonl' },
    ] as const) {
      const { plan, rationale } = planFromProfile({ ...keyed, target });
      expect(loadOf(plan).mode).toBe('replace');
      expect(rationale).toContain(`the ${target.kind} target cannot merge on ("id")`);
    }
  });
});
