import type { PipelinePlan, RunSettings, SourceProfile } from '@aoe/contracts';
import { BOUNDS, boundsProblems, clampSettings, roundBatch, settingsKey, type SettingsLimits } from './bounds';
import type { RowWidth } from './row-width';
import { median, throughput, type RunObservation } from './run-observation';
import { seededRandom } from './seeded-random';

/** Without history, a batch aims at this many bytes: big enough to amortise per-batch costs, small enough to stream. */
export const TARGET_BATCH_BYTES = 8 * 1024 ** 2;
export const MANY_ROWS = 1_000_000;
export const VERY_MANY_ROWS = 10_000_000;

export interface ScoredSetting {
  settings: RunSettings;
  rowsPerCpuSecond: number;
  runs: number;
}

export interface SettingsChoice {
  settings: RunSettings;
  explored: boolean;
  reasons: string[];
  evidence: {
    basis: 'rules' | 'own runs' | 'similar pipelines';
    scored: ScoredSetting[];
    best?: ScoredSetting;
    /** Runs whose settings lie outside today's bounds: not scored. */
    outOfBounds: number;
  };
}

export interface SettingsRequest {
  plan: PipelinePlan;
  profile?: SourceProfile;
  history: readonly RunObservation[];
  limits: SettingsLimits;
  rowWidth: RowWidth;
  seed: string;
  explorationRate: number;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const show = (s: RunSettings) =>
  `batch ${count(s.batchSize)}, read parallelism ${s.readParallelism}, load concurrency ${s.loadConcurrency}`;

/**
 * With no usable history, rules size the batch by row width and the
 * parallelism by volume. With history, the best observed rows per CPU-second
 * wins; with probability `explorationRate` (drawn from the seed, so the same
 * input decides the same way) a neighbour of the best is tried instead.
 * Whatever the source, the answer is inside `limits`.
 */
export function chooseSettings(request: SettingsRequest): SettingsChoice {
  const { history, limits } = request;
  const inBounds = history.filter((o) => boundsProblems(o.settings, limits).length === 0);
  const scorable = inBounds.filter((o) => throughput(o) !== undefined);
  const own = scorable.filter((o) => o.own);
  const basis = own.length > 0 ? 'own runs' : scorable.length > 0 ? 'similar pipelines' : 'rules';
  const outOfBounds = history.length - inBounds.length;
  const notScored =
    outOfBounds > 0 ? [`${outOfBounds} past run(s) used settings outside today's bounds and were not scored.`] : [];

  if (basis === 'rules') {
    const settings = rulesSettings(request);
    return {
      settings,
      explored: false,
      reasons: [
        `No run history to learn from yet, so rules choose ${show(settings)}: a batch of about ${count(TARGET_BATCH_BYTES / 1024 ** 2)} MiB at ~${count(request.rowWidth.bytes)} bytes per row, parallelism by volume (~${count(request.profile?.rowCountEstimate ?? 0)} rows).`,
        ...notScored,
      ],
      evidence: { basis, scored: [], outOfBounds },
    };
  }

  const scored = score(basis === 'own runs' ? own : scorable);
  const best = scored[0];
  const from = basis === 'own runs' ? 'this pipeline' : 'pipelines with a similar profile';
  const bestLine = `${count(best.rowsPerCpuSecond)} rows per CPU-second (median of ${best.runs} run(s) of ${from})`;
  const runnerUp = scored[1] ? `; next best ${show(scored[1].settings)} at ${count(scored[1].rowsPerCpuSecond)}` : '';
  const evidence = { basis, scored: scored.slice(0, 5), best, outOfBounds } as const;

  const random = seededRandom(request.seed);
  if (request.explorationRate > 0 && random() < request.explorationRate) {
    const tried = new Set(scored.map((s) => settingsKey(s.settings)));
    const options = neighbours(best.settings, limits);
    const fresh = options.filter((s) => !tried.has(settingsKey(s)));
    const pool = fresh.length > 0 ? fresh : options;
    const next = pool[Math.floor(random() * pool.length)];
    if (next) {
      return {
        settings: next,
        explored: true,
        reasons: [
          `Exploring: ${show(next)}, a neighbour of the best observed (${show(best.settings)}, ${bestLine}). About ${Math.round(request.explorationRate * 100)}% of optimizations try a neighbour so a better setting can be found; the draw is seeded ("${request.seed}").`,
          ...notScored,
        ],
        evidence: { ...evidence },
      };
    }
  }
  return {
    settings: best.settings,
    explored: false,
    reasons: [`Best observed: ${show(best.settings)}, ${bestLine}${runnerUp}.`, ...notScored],
    evidence: { ...evidence },
  };
}

/** Settings grouped, scored by their median throughput, best first; ties go to the smaller (cheaper) setting. */
function score(observations: readonly RunObservation[]): ScoredSetting[] {
  const groups = new Map<string, { settings: RunSettings; values: number[] }>();
  for (const o of observations) {
    const key = settingsKey(o.settings);
    const group = groups.get(key) ?? { settings: o.settings, values: [] };
    group.values.push(throughput(o)!);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((g) => ({ settings: g.settings, rowsPerCpuSecond: median(g.values), runs: g.values.length }))
    .sort(
      (a, b) =>
        b.rowsPerCpuSecond - a.rowsPerCpuSecond ||
        a.settings.batchSize - b.settings.batchSize ||
        a.settings.readParallelism - b.settings.readParallelism ||
        a.settings.loadConcurrency - b.settings.loadConcurrency,
    );
}

/** One step in each direction of each setting, kept inside the limits. */
export function neighbours(settings: RunSettings, limits: SettingsLimits): RunSettings[] {
  const steps: RunSettings[] = [
    { ...settings, batchSize: settings.batchSize * 2 },
    { ...settings, batchSize: settings.batchSize / 2 },
    { ...settings, readParallelism: settings.readParallelism + 1 },
    { ...settings, readParallelism: settings.readParallelism - 1 },
    { ...settings, loadConcurrency: settings.loadConcurrency + 1 },
    { ...settings, loadConcurrency: settings.loadConcurrency - 1 },
  ];
  const seen = new Set([settingsKey(settings)]);
  const result: RunSettings[] = [];
  for (const step of steps) {
    const inside = clampSettings(step, limits);
    const key = settingsKey(inside);
    if (!seen.has(key)) {
      seen.add(key);
      result.push(inside);
    }
  }
  return result;
}

function rulesSettings({ plan, profile, limits, rowWidth }: SettingsRequest): RunSettings {
  const rows = profile?.rowCountEstimate;
  let batchSize = roundBatch(TARGET_BATCH_BYTES / rowWidth.bytes);
  // No batch larger than the whole source.
  if (rows !== undefined)
    batchSize = Math.min(batchSize, roundBatch(Math.ceil(rows / BOUNDS.batchSize.min) * BOUNDS.batchSize.min));
  const extract = plan.tasks.find((t) => t.kind === 'extract');
  const partitions = extract?.kind === 'extract' ? extract.params.partitions : 1;
  const byVolume = rows === undefined ? 1 : rows >= VERY_MANY_ROWS ? 4 : rows >= MANY_ROWS ? 2 : 1;
  return clampSettings(
    {
      batchSize,
      readParallelism: partitions > 1 ? partitions : byVolume,
      // The embedded warehouse (PGlite) is one session: parallel loads only queue.
      loadConcurrency: plan.target.kind === 'warehouse' ? 1 : byVolume,
    },
    limits,
  );
}
