import type { ColumnProfile, PipelinePlan, RunSettings, SourceProfile } from '@aoe/contracts';
import { BOUNDS, boundsProblems, clampSettings, settingsLimits } from './bounds';
import { checkOptimization } from './check-optimization';
import { neighbours } from './choose-settings';
import { applyOptimization, optimizationLimits, optimize, type OptimizationInput } from './optimize';
import { DEFAULT_ROW_BYTES, rowWidth } from './row-width';
import { describeOptimization, RulesOptimizerBrain } from './rules-optimizer.brain';
import type { RunObservation } from './run-observation';
import { seededRandom } from './seeded-random';
import { similarProfiles } from './similar-profile';

const column = (name: string, type: ColumnProfile['type']): ColumnProfile => ({
  name,
  type,
  nullable: false,
  nullRate: 0,
  distinctEstimate: 10,
  piiHints: [],
});

export function profileOf(overrides: Partial<SourceProfile> = {}): SourceProfile {
  return {
    sourceId: 'src-1',
    kind: 'postgres',
    profiledAt: '2026-02-01T00:00:00.000Z',
    columns: [
      column('id', 'bigint'),
      column('name', 'string'),
      column('amount', 'decimal'),
      column('updated_at', 'timestamptz'),
    ],
    primaryKeyCandidates: [['id']],
    primaryKeyConfirmed: true,
    cursorCandidates: ['updated_at'],
    rowCountEstimate: 5_000_000,
    sampleSize: 10_000,
    durationMs: 10,
    ...overrides,
  };
}

export function planOf(
  overrides: {
    mode?: 'full' | 'incremental';
    partitions?: number;
    load?: 'merge' | 'append' | 'replace';
    target?: PipelinePlan['target'];
  } = {},
): PipelinePlan {
  const mode = overrides.mode ?? 'full';
  return {
    pipelineId: 'pl-1',
    sourceId: 'src-1',
    version: 1,
    target: overrides.target ?? { kind: 'warehouse', table: { schema: 'public', name: 't' } },
    policy: { maskPii: false, schemaEvolution: 'additive' },
    tasks: [
      {
        id: 'extract',
        dependsOn: [],
        kind: 'extract',
        params: {
          mode,
          ...(mode === 'incremental' ? { cursorColumn: 'updated_at' } : {}),
          partitions: overrides.partitions ?? 1,
        },
      },
      { id: 'transform', dependsOn: ['extract'], kind: 'transform', params: { operations: [] } },
      { id: 'validate', dependsOn: ['transform'], kind: 'validate', params: { rules: [], onFailure: 'fail' } },
      {
        id: 'load',
        dependsOn: ['validate'],
        kind: 'load',
        params: {
          mode: overrides.load ?? 'merge',
          ...(overrides.load === 'merge' || !overrides.load ? { primaryKey: ['id'] } : {}),
          schemaEvolution: 'additive',
        },
      },
    ],
    settings: { batchSize: 10_000, readParallelism: 1, loadConcurrency: 1 },
    createdBy: 'rules',
    createdAt: '2026-02-01T00:00:00.000Z',
  };
}

let runs = 0;
export function run(
  settings: RunSettings,
  rowsPerCpuSecond: number,
  extra: Partial<RunObservation> = {},
): RunObservation {
  const rowsRead = 1_000_000;
  return {
    runId: `run-${++runs}`,
    pipelineId: 'pl-1',
    own: true,
    status: 'succeeded',
    settings,
    rowsRead,
    durationMs: 60_000,
    cpuSeconds: rowsRead / rowsPerCpuSecond,
    ...extra,
  };
}

const input = (overrides: Partial<OptimizationInput> = {}): OptimizationInput => ({
  plan: planOf({ partitions: 2 }),
  profile: profileOf(),
  history: [],
  seed: 'test:pl-1:1',
  explorationRate: 0,
  ...overrides,
});

const small: RunSettings = { batchSize: 5_000, readParallelism: 1, loadConcurrency: 1 };
const large: RunSettings = { batchSize: 50_000, readParallelism: 1, loadConcurrency: 1 };

describe('optimize without history', () => {
  it('sizes batches by row width and parallelism by volume', () => {
    const { value, rationale } = optimize(input());
    // ~ 64 + 16 + 48 + 24 + 24 + 4 × 16 = 240 bytes per row: 8 MiB / 240 ≈ 34,952.
    expect(value.settings).toEqual({ batchSize: 34_000, readParallelism: 2, loadConcurrency: 1 });
    expect(value.extract).toEqual({ mode: 'full', partitions: 2 });
    expect(value.explored).toBe(false);
    expect(value.evidence).toMatchObject({ rowBytes: 240, rowBytesFrom: 'column types', settings: { basis: 'rules' } });
    expect(rationale).toContain('No run history');
    expect(rationale).toContain('Memory bound');
  });

  it('keeps wide rows inside the memory bound', () => {
    const wide = profileOf({ columns: Array.from({ length: 150 }, (_, i) => column(`c${i}`, 'json')) });
    const { value } = optimize(input({ profile: wide }));
    const width = rowWidth(wide).bytes;
    expect(value.settings.batchSize * width).toBeLessThanOrEqual(BOUNDS.batchMemoryBytes);
    expect(value.settings.batchSize).toBeGreaterThanOrEqual(BOUNDS.batchSize.min);
  });

  it('reads an HTTP API one page at a time and loads a warehouse with one session', () => {
    const { value } = optimize(
      input({ plan: planOf(), profile: profileOf({ kind: 'http-api', rowCountEstimate: 50_000_000 }) }),
    );
    expect(value.settings.readParallelism).toBe(1);
    expect(value.settings.loadConcurrency).toBe(1);
    const s3 = optimize(
      input({
        plan: planOf({ target: { kind: 'directory', path: '/out', format: 'parquet' } }),
        profile: profileOf({ kind: 's3', rowCountEstimate: 50_000_000 }),
      }),
    );
    expect(s3.value.settings).toMatchObject({ readParallelism: 4, loadConcurrency: 4 });
  });

  it('never makes a batch larger than a small source, and works without a profile', () => {
    expect(
      optimize(input({ plan: planOf(), profile: profileOf({ rowCountEstimate: 42 }) })).value.settings.batchSize,
    ).toBe(1_000);
    const blind = optimize(input({ plan: planOf(), profile: undefined }));
    expect(blind.value.evidence.rowBytes).toBe(DEFAULT_ROW_BYTES);
    expect(blind.value.settings).toEqual({ batchSize: 16_000, readParallelism: 1, loadConcurrency: 1 });
  });
});

describe('optimize with history', () => {
  it('picks the setting with the most rows per CPU-second', () => {
    const history = [run(small, 10_000), run(small, 12_000), run(large, 40_000), run(large, 38_000)];
    const { value, rationale } = optimize(input({ history }));
    expect(value.settings).toEqual(large);
    expect(value.explored).toBe(false);
    expect(value.evidence.settings).toMatchObject({
      basis: 'own runs',
      best: { settings: large, rowsPerCpuSecond: 39_000, runs: 2 },
    });
    expect(rationale).toContain('Best observed: batch 50,000');
    expect(rationale).toContain('next best batch 5,000');
  });

  it('prefers its own runs to those of similar pipelines', () => {
    const history = [run(small, 20_000), run(large, 90_000, { own: false, pipelineId: 'other' })];
    expect(optimize(input({ history })).value.settings).toEqual(small);
    const onlySimilar = [run(large, 90_000, { own: false, pipelineId: 'other' })];
    const { value, rationale } = optimize(input({ history: onlySimilar }));
    expect(value.settings).toEqual(large);
    expect(rationale).toContain('pipelines with a similar profile');
  });

  it('does not score settings outside the bounds', () => {
    const history = [run({ batchSize: 900_000, readParallelism: 1, loadConcurrency: 1 }, 1e9), run(small, 1_000)];
    const { value, rationale } = optimize(input({ history }));
    expect(value.settings).toEqual(small);
    expect(rationale).toContain('1 past run(s) used settings outside');
  });

  it('stays under a batch size that exhausted resources', () => {
    const history = [
      run(large, 40_000),
      run({ ...large, batchSize: 40_000 }, 0, { status: 'failed', errorClass: 'resource-exhaustion', cpuSeconds: 3 }),
      run(small, 10_000, { peakMemoryBytes: 3 * 1024 ** 3 }),
    ];
    const { value, rationale } = optimize(input({ history }));
    expect(value.evidence.batchCeiling).toMatchObject({ batchSize: 2_000 });
    expect(value.settings.batchSize).toBeLessThanOrEqual(2_000);
    expect(rationale).toContain('peaked at 3072 MiB');
  });

  it('explores a neighbour of the best, deterministically for a seed', () => {
    const history = [run(small, 10_000), run(large, 40_000)];
    const draws = Array.from(
      { length: 40 },
      (_, i) => optimize(input({ history, explorationRate: 0.5, seed: `s${i}` })).value,
    );
    const explored = draws.filter((d) => d.explored);
    expect(explored.length).toBeGreaterThan(5);
    expect(explored.length).toBeLessThan(35);
    for (const d of explored) expect(neighbours(large, d.evidence.limits)).toContainEqual(d.settings);
    for (const d of draws.filter((x) => !x.explored)) expect(d.settings).toEqual(large);
    const again = Array.from(
      { length: 40 },
      (_, i) => optimize(input({ history, explorationRate: 0.5, seed: `s${i}` })).value,
    );
    expect(again).toEqual(draws);
    const explain = optimize(input({ history, explorationRate: 1, seed: 'x' })).rationale;
    expect(explain).toContain('Exploring');
  });

  it('switches a heavy full read to incremental where a merge makes it safe', () => {
    const heavy = [
      run(large, 40_000, { extractMode: 'full', rowsRead: 4_000_000 }),
      run(large, 40_000, { extractMode: 'full', rowsRead: 4_100_000 }),
    ];
    const { value, rationale } = optimize(input({ plan: planOf(), history: heavy }));
    expect(value.extract).toEqual({ mode: 'incremental', cursorColumn: 'updated_at', partitions: 1 });
    expect(rationale).toContain('becomes incremental on "updated_at"');
    expect(optimize(input({ plan: planOf({ load: 'replace' }), history: heavy })).value.extract.mode).toBe('full');
  });

  it('goes back to a full read when the cursor filters nothing', () => {
    const wasted = [
      run(large, 40_000, { extractMode: 'incremental', rowsRead: 4_000_000 }),
      run(large, 40_000, { extractMode: 'incremental', rowsRead: 4_500_000 }),
    ];
    const { value, rationale } = optimize(
      input({ plan: planOf({ mode: 'incremental', partitions: 2 }), history: wasted }),
    );
    expect(value.extract).toEqual({ mode: 'full', partitions: 1 });
    expect(rationale).toContain('saves nothing');
    const kept = optimize(input({ plan: planOf({ mode: 'incremental' }), history: [] })).value.extract;
    expect(kept).toEqual({ mode: 'incremental', cursorColumn: 'updated_at', partitions: 1 });
  });

  it('never leaves its bounds, whatever the history (property)', () => {
    const random = seededRandom('property');
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    const kinds = ['postgres', 's3', 'file', 'http-api'] as const;
    const types = ['integer', 'string', 'json', 'binary', 'decimal'] as const;
    for (let i = 0; i < 1_000; i++) {
      const profile = profileOf({
        kind: pick(kinds),
        rowCountEstimate: Math.floor(random() * 1e8),
        columns: Array.from({ length: 1 + Math.floor(random() * 300) }, (_, c) => column(`c${c}`, pick(types))),
        ...(random() < 0.3 ? { sizeBytes: Math.floor(random() * 1e12) } : {}),
      });
      const history = Array.from({ length: Math.floor(random() * 30) }, () =>
        run(
          {
            batchSize: 1 + Math.floor(random() * 1_000_000),
            readParallelism: 1 + Math.floor(random() * 64),
            loadConcurrency: 1 + Math.floor(random() * 64),
          },
          random() * 1e6,
          {
            own: random() < 0.7,
            status: random() < 0.8 ? 'succeeded' : 'failed',
            ...(random() < 0.2 ? { errorClass: 'resource-exhaustion' as const } : {}),
            ...(random() < 0.3
              ? { bytesMoved: Math.floor(random() * 1e11), peakMemoryBytes: Math.floor(random() * 4e9) }
              : {}),
            extractMode: random() < 0.5 ? 'full' : 'incremental',
            rowsRead: Math.floor(random() * 1e7),
          },
        ),
      );
      const request = input({
        plan: planOf({ mode: random() < 0.5 ? 'full' : 'incremental', partitions: random() < 0.3 ? 4 : 1 }),
        profile: random() < 0.9 ? profile : undefined,
        history,
        explorationRate: random(),
        seed: `case-${i}`,
      });
      const { value } = optimize(request);
      const { settings } = value;
      expect(settings.batchSize).toBeGreaterThanOrEqual(BOUNDS.batchSize.min);
      expect(settings.batchSize).toBeLessThanOrEqual(BOUNDS.batchSize.max);
      expect(settings.readParallelism).toBeGreaterThanOrEqual(1);
      expect(settings.readParallelism).toBeLessThanOrEqual(BOUNDS.readParallelism.max);
      expect(settings.loadConcurrency).toBeGreaterThanOrEqual(1);
      expect(settings.loadConcurrency).toBeLessThanOrEqual(BOUNDS.loadConcurrency.max);
      const rowBytes = value.evidence.rowBytes;
      if (BOUNDS.batchSize.min * rowBytes <= BOUNDS.batchMemoryBytes) {
        expect(settings.batchSize * rowBytes).toBeLessThanOrEqual(BOUNDS.batchMemoryBytes);
      }
      expect(checkOptimization(request, value)).toEqual({ ok: true });
    }
  });
});

describe('bounds', () => {
  it('clamps into the limits and says what is outside', () => {
    const limits = settingsLimits({ rowBytes: 1_000, kind: 'postgres', partitionable: false });
    expect(limits).toEqual({ maxBatchSize: 67_000, maxReadParallelism: 1, maxLoadConcurrency: 8 });
    expect(clampSettings({ batchSize: 500_000, readParallelism: 0, loadConcurrency: 99 }, limits)).toEqual({
      batchSize: 67_000,
      readParallelism: 1,
      loadConcurrency: 8,
    });
    expect(boundsProblems({ batchSize: 999, readParallelism: 2, loadConcurrency: 0 }, limits)).toEqual([
      'batchSize 999 is outside [1000, 67000]',
      'readParallelism 2 is outside [1, 1]',
      'loadConcurrency 0 is outside [1, 8]',
    ]);
    expect(settingsLimits({ rowBytes: 10, partitionable: true }).maxReadParallelism).toBe(8);
    expect(settingsLimits({ rowBytes: 10, partitionable: false }).maxReadParallelism).toBe(1);
  });

  it('takes the widest row estimate', () => {
    expect(rowWidth(profileOf({ sizeBytes: 5_000_000 * 900 })).from).toBe('source size');
    expect(rowWidth(profileOf(), [10_000])).toEqual({ bytes: 10_000, from: 'bytes moved by runs' });
    expect(rowWidth(undefined)).toEqual({ bytes: DEFAULT_ROW_BYTES, from: 'default' });
  });

  it('calls profiles similar by kind, volume and width', () => {
    expect(similarProfiles(profileOf(), profileOf({ rowCountEstimate: 900_000 }))).toBe(true);
    expect(similarProfiles(profileOf(), profileOf({ rowCountEstimate: 100 }))).toBe(false);
    expect(similarProfiles(profileOf(), profileOf({ kind: 's3' }))).toBe(false);
    expect(
      similarProfiles(
        profileOf(),
        profileOf({ columns: Array.from({ length: 40 }, (_, i) => column(`j${i}`, 'json')) }),
      ),
    ).toBe(false);
  });
});

describe('checkOptimization', () => {
  const base = input();
  const good = optimize(base).value;

  it('accepts the rules optimization', () => {
    expect(checkOptimization(base, good)).toEqual({ ok: true });
  });

  it('refuses settings outside the limits, a cursor nobody offers and partitions where none fit', () => {
    const limits = optimizationLimits(base).limits;
    const bad = {
      ...good,
      settings: { batchSize: limits.maxBatchSize + 1_000, readParallelism: 9, loadConcurrency: 1 },
      extract: { mode: 'incremental' as const, cursorColumn: 'name', partitions: 3 },
    };
    const verdict = checkOptimization(input({ plan: planOf({ load: 'replace' }) }), bad);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? [] : verdict.reasons).toEqual([
      `batchSize ${limits.maxBatchSize + 1_000} is outside [1000, ${limits.maxBatchSize}]`,
      'readParallelism 9 is outside [1, 1]',
      'an incremental read needs a cursor the plan or the profile offers (got name)',
      'a replace load cannot read incrementally: it would drop every row not re-read',
      'only a partitionable read (planned with partitions) may be split',
    ]);
    expect(checkOptimization(base, { ...good, extract: { mode: 'full', partitions: 0.5 } })).toEqual({
      ok: false,
      reasons: ['partitions 0.5 is outside [1, 8]'],
    });
  });

  it('refuses an optimization that breaks the plan contract', () => {
    const verdict = checkOptimization(base, { ...good, settings: { ...good.settings, loadConcurrency: 1.5 } });
    expect(verdict.ok).toBe(false);
  });
});

describe('the optimized plan', () => {
  it('carries the new settings, extract and version, and nothing else changes', async () => {
    const proposal = await new RulesOptimizerBrain().propose(input());
    const plan = applyOptimization(planOf({ partitions: 2 }), proposal.value, 2, '2026-03-01T00:00:00.000Z');
    expect(plan.version).toBe(2);
    expect(plan.settings).toEqual(proposal.value.settings);
    expect(plan.tasks.slice(1)).toEqual(planOf({ partitions: 2 }).tasks.slice(1));
    expect(describeOptimization(proposal.value)).toMatchObject({ settings: proposal.value.settings, explored: false });
  });

  it('seeded random is deterministic and in [0, 1)', () => {
    const a = seededRandom('x');
    const b = seededRandom('x');
    const values = Array.from({ length: 100 }, () => a());
    expect(values).toEqual(Array.from({ length: 100 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});
