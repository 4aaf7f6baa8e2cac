import type { MalformedKind, MalformedRow, SchemaChange } from './file-dataset';
import { randomInt, seededRandom, weightedPick } from './seeded-random';

/** One run's fault. Every one is transient or data-level: a run with enough retries (or quarantine) completes. */
export type ScheduledFault =
  | { kind: 'none' }
  /** `times` consecutive answers of `status` on `page`; 429 and 503 carry `Retry-After`. */
  | { kind: 'http-storm'; status: 429 | 500 | 503; page: number; times: number; retryAfterSeconds?: number }
  /** One answer on `page` later than the client's timeout. */
  | { kind: 'http-slow'; page: number; delayMs: number }
  /** `times` connection resets on `page`. */
  | { kind: 'http-reset'; page: number; times: number }
  /** Connections through the proxy are reset once they carried `afterBytes`; lifted by `undo`. */
  | { kind: 'tcp-drop'; afterBytes: number }
  /** The proxy holds every byte for `forMs`, then passes again. */
  | { kind: 'tcp-stall'; forMs: number }
  | { kind: 'tcp-latency'; ms: number }
  /** The run's file holds these malformed records (quarantined, or loaded as the manifest says). */
  | { kind: 'malformed-rows'; rows: MalformedRow[] }
  /** The run's file gains a column (additive: the load evolves the target). */
  | { kind: 'schema-change'; change: SchemaChange }
  /** A replica (by index) is killed with SIGKILL. */
  | { kind: 'replica-kill'; replica: number };

export type FaultKind = ScheduledFault['kind'];

export interface FaultScheduleLimits {
  /** Pages an API run reads (faults hit one of them; default 3). */
  pages?: number;
  /** Longest storm or reset burst (default 3): keep it within the client's retries. */
  maxBurst?: number;
  /** The client's timeout, so a slow answer overruns it (default 1000 ms). */
  timeoutMs?: number;
  /** Rows of a run's file (malformed rows fall among them; default 100). */
  rows?: number;
  /** Replicas a kill may pick from (default 1). */
  replicas?: number;
}

export interface FaultScheduleOptions {
  seed: string;
  runs: number;
  /** Relative weights; kinds left out do not occur. Default: half the runs clean, the rest spread evenly. */
  weights?: Partial<Record<FaultKind, number>>;
  limits?: FaultScheduleLimits;
}

const ALL_KINDS: readonly FaultKind[] = [
  'none',
  'http-storm',
  'http-slow',
  'http-reset',
  'tcp-drop',
  'tcp-stall',
  'tcp-latency',
  'malformed-rows',
  'schema-change',
  'replica-kill',
];

const DEFAULT_WEIGHTS: Record<FaultKind, number> = Object.fromEntries(
  ALL_KINDS.map((kind) => [kind, kind === 'none' ? ALL_KINDS.length - 1 : 1]),
) as Record<FaultKind, number>;

const CSV_MALFORMED: readonly MalformedKind[] = [
  'extra-field',
  'missing-field',
  'broken-quote',
  'invalid-number',
  'bad-encoding',
];

/**
 * A seeded, replayable list of faults, one per run: "200 runs under a mixed
 * fault schedule". The same seed and options give the same schedule on any
 * machine; `toJSON`/`fromJSON` keep one with a benchmark's results.
 */
export class FaultSchedule {
  private constructor(
    readonly seed: string,
    readonly entries: readonly ScheduledFault[],
  ) {}

  static generate(options: FaultScheduleOptions): FaultSchedule {
    const random = seededRandom(options.seed);
    const weights = { ...(options.weights ? zeroWeights() : DEFAULT_WEIGHTS), ...options.weights };
    const entries = Array.from({ length: options.runs }, (_, run) =>
      draw(weightedPick(random, weights), run, random, options.limits ?? {}),
    );
    return new FaultSchedule(options.seed, entries);
  }

  static fromJSON(json: { seed: string; entries: ScheduledFault[] }): FaultSchedule {
    return new FaultSchedule(json.seed, json.entries);
  }

  toJSON(): { seed: string; entries: ScheduledFault[] } {
    return { seed: this.seed, entries: [...this.entries] };
  }

  /** The fault of run `run` (0-based). */
  at(run: number): ScheduledFault {
    const entry = this.entries[run];
    if (!entry) throw new Error(`the schedule has ${this.entries.length} runs, not ${run + 1}`);
    return entry;
  }

  /** How many runs get each kind. */
  counts(): Record<FaultKind, number> {
    const counts = zeroWeights();
    for (const entry of this.entries) counts[entry.kind]++;
    return counts;
  }
}

function zeroWeights(): Record<FaultKind, number> {
  return Object.fromEntries(ALL_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
}

function draw(kind: FaultKind, run: number, random: () => number, limits: FaultScheduleLimits): ScheduledFault {
  const pages = limits.pages ?? 3;
  const maxBurst = limits.maxBurst ?? 3;
  const rows = limits.rows ?? 100;
  switch (kind) {
    case 'none':
      return { kind };
    case 'http-storm': {
      const status = ([429, 500, 503] as const)[randomInt(random, 0, 2)];
      const storm = { kind, status, page: randomInt(random, 1, pages), times: randomInt(random, 1, maxBurst) };
      return status === 500 ? storm : { ...storm, retryAfterSeconds: randomInt(random, 0, 1) };
    }
    case 'http-slow':
      return { kind, page: randomInt(random, 1, pages), delayMs: 2 * (limits.timeoutMs ?? 1000) };
    case 'http-reset':
      return { kind, page: randomInt(random, 1, pages), times: randomInt(random, 1, maxBurst) };
    case 'tcp-drop':
      return { kind, afterBytes: randomInt(random, 1, 64 * 1024) };
    case 'tcp-stall':
      return { kind, forMs: randomInt(random, 500, 2000) };
    case 'tcp-latency':
      return { kind, ms: randomInt(random, 10, 200) };
    case 'malformed-rows': {
      const count = randomInt(random, 1, Math.min(3, rows));
      const chosen = new Set<number>();
      while (chosen.size < count) chosen.add(randomInt(random, 1, rows));
      return {
        kind,
        rows: [...chosen]
          .sort((a, b) => a - b)
          .map((row) => ({ row, kind: CSV_MALFORMED[randomInt(random, 0, CSV_MALFORMED.length - 1)] })),
      };
    }
    case 'schema-change':
      return { kind, change: { kind: 'add', column: { name: `extra_${run}`, type: 'string' } } };
    case 'replica-kill':
      return { kind, replica: randomInt(random, 0, (limits.replicas ?? 1) - 1) };
  }
}
