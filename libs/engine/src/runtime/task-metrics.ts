/** What a task moved and what it cost: reported as progress and in the result, and fed to the optimizer. */
export interface TaskMetrics {
  /** Records read from the source: rows plus records it could not parse. */
  rowsRead: number;
  /** Rows the sink reports written (the load's own count). */
  rowsLoaded: number;
  /** Rows handed to the sink so far (rowsLoaded is only known at the end). */
  rowsToLoad: number;
  /** Rows set aside: failed casts, expressions, rules, and unparseable source records. */
  rowsQuarantined: number;
  /** Rows removed by `filter`. */
  rowsFiltered: number;
  /** Rows removed by `dedupe`. */
  rowsDuplicate: number;
  /** Rows at the incremental mark that an earlier run already loaded. */
  rowsAlreadyLoaded: number;
  /** Bytes read from the source (compressed where the source is). */
  bytesRead: number;
  batches: number;
  durationMs: number;
  /** User + system CPU of the process during the task (process-wide: concurrent tasks share it). */
  cpuSeconds: number;
  /** Highest resident set size sampled during the task (process-wide). */
  peakRssBytes: number;
}

export interface TaskProgress extends TaskMetrics {
  /** True for the last report, sent once when the task ends whatever its outcome. */
  done: boolean;
}

export function emptyMetrics(): TaskMetrics {
  return {
    rowsRead: 0,
    rowsLoaded: 0,
    rowsToLoad: 0,
    rowsQuarantined: 0,
    rowsFiltered: 0,
    rowsDuplicate: 0,
    rowsAlreadyLoaded: 0,
    bytesRead: 0,
    batches: 0,
    durationMs: 0,
    cpuSeconds: 0,
    peakRssBytes: 0,
  };
}

/**
 * CPU and memory of the process from the start of a task: what the optimizer
 * learns cost from. The resident set is read on a timer, not per batch: each
 * read is a /proc read (about 0.1 ms, 50 ms of a 1M-row load at one per chunk).
 */
export class ResourceMeter {
  private readonly cpuStart = process.cpuUsage();
  private peak = process.memoryUsage.rss();
  private readonly timer: NodeJS.Timeout;

  constructor(sampleEveryMs = 200) {
    this.timer = setInterval(() => this.sample(), sampleEveryMs);
    this.timer.unref();
  }

  private sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  get cpuSeconds(): number {
    const used = process.cpuUsage(this.cpuStart);
    return (used.user + used.system) / 1e6;
  }

  get peakRssBytes(): number {
    return this.peak;
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

/** Calls `report` at most once per interval, and always for the final report. */
export class ProgressThrottle {
  private last = 0;
  constructor(
    private readonly report: ((progress: TaskProgress) => void) | undefined,
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  maybe(snapshot: () => TaskProgress): void {
    if (!this.report) return;
    const t = this.now();
    if (t - this.last < this.intervalMs) return;
    this.last = t;
    this.safeReport(snapshot());
  }

  final(progress: TaskProgress): void {
    if (this.report) this.safeReport(progress);
  }

  private safeReport(progress: TaskProgress): void {
    try {
      this.report?.(progress);
    } catch {
      // A failing progress listener must not fail the load.
    }
  }
}
